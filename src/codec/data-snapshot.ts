import { Packr } from 'msgpackr';
import type { SessionData } from './session-record.js';

// Self-contained encoding (no shared record structures), so equal data always gives equal bytes.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

/**
 * The bytes of `data` as MessagePack, copied (the encoder reuses its buffer). `undefined` when
 * the data cannot be encoded: the save itself reports that.
 */
export function snapshotSessionData(data: SessionData): Buffer | undefined {
  try {
    return Buffer.from(packr.pack(data));
  } catch {
    return undefined;
  }
}

/** True when `data` still encodes to `snapshot` (no change made in place since it was taken). */
export function sameSessionData(snapshot: Buffer, data: SessionData): boolean {
  try {
    return snapshot.equals(packr.pack(data));
  } catch {
    // Data that no longer encodes has changed; the save will say why it cannot be stored.
    return false;
  }
}
