/** node-postgres with its type declarations; import `pg` from here. */
// @ts-types="@types/pg"
import pg from "pg";

export default pg;
