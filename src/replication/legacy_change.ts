/** What the stream delivers: changes of the legacy table inside source transactions. */
export type { LegacyChange } from "../apply/legacy_change.ts";

/** A source transaction that changed the legacy table. */
export interface SourceTransaction {
  /** Where its commit record starts (pgoutput's commit LSN); the `lsn` of its changes. */
  finalLsn: string;
  /** When it committed on the legacy database. */
  commitTime: Date;
  /** Its transaction id on the legacy database. */
  xid: number;
}

/** A committed source transaction: `endLsn` is what to acknowledge once it is applied. */
export interface CommittedTransaction extends SourceTransaction {
  /** Where its commit record ends: acknowledging it means "everything up to here is applied". */
  endLsn: string;
}

/** A transactional heartbeat message, written to measure lag while the table is idle. */
export interface HeartbeatMessage {
  /** Where the message was written. */
  lsn: string;
  /** Its content, as text. */
  content: string;
  /** When its transaction committed. */
  commitTime?: Date;
}
