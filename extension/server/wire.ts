// Engine rows → JSON-safe rows for the LSP wire (bytes as base64, decoded values as exact JSON).
import type { Row } from '../engine/types';
import { toJson } from '../engine/util/json';
import type { WireRow } from '../protocol/requests';

export function toWireRow(row: Row): WireRow {
  if (row.type === 'event') {
    // Events carry only JSON-safe fields already.
    return { ...row } as WireRow;
  }
  const { data, decoded, ...rest } = row;
  let decodedJson: string;
  try {
    decodedJson = decoded === undefined ? 'null' : toJson(decoded);
  } catch (err) {
    decodedJson = JSON.stringify({ error: `not JSON-able: ${err instanceof Error ? err.message : String(err)}` });
  }
  return {
    ...rest,
    data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'),
    decodedJson,
  };
}
