// The shared-lab tests start the same throwaway PostgreSQL server as the bench (bench/postgres-server.ts).
export { type PostgresServer, postgresBin, startPostgres } from "../../bench/postgres-server.js";
