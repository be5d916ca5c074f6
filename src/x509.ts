// The one door to @peculiar/x509. From its version 2 it resolves its ASN.1 parsers through tsyringe, which needs the
// Reflect metadata API loaded before it (it throws otherwise): importing it here first means no caller can forget.
import "reflect-metadata";

export * from "@peculiar/x509";
