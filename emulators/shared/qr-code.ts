import QRCode from "qrcode";

/**
 * QR codes as the issuers' kiosks show them (Entrust, Intercede; docs/intune.md §2.2, §2.3): real QR symbols for a view,
 * while a simulated device "scans" by reading the payload string the symbol encodes.
 */
export function qrSvg(payload: string): Promise<string> {
  return QRCode.toString(payload, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
}

export function qrPng(payload: string): Promise<Buffer> {
  return QRCode.toBuffer(payload, { type: "png", errorCorrectionLevel: "M", margin: 2, scale: 6 });
}
