// Engine rows → JSON-safe rows for the LSP wire (bytes as base64, decoded values as exact JSON).
import { toJson, rangesOnDemand, type Row } from '../engine';
import type { WireRow } from '../shared/requests';

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
  const out: WireRow = {
    ...rest,
    data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'),
    decodedJson,
  };
  // Decoders that leave ranges to the rows shown: computed now, for the panel's hex view.
  if (!rest.ranges && !rest.error) {
    const ranges = rangesOnDemand(row);
    if (ranges?.length) out.ranges = ranges;
  }
  return out;
}
