// The one check of .proto options (the files and the message type), worded for whoever took
// them: the CLI's --proto / --proto-type, a launch configuration's "proto" / "protoType", or the
// decoder options themselves (protoFiles / protoType).
import type protobuf from 'protobufjs';
import { UserError } from '../../util/errors';
import { loadProtoRoot, lookupMessageType } from './schema';

/** How the options are called where the user gave them (in the error messages). */
export interface ProtoOptionNames {
  /** The .proto files, e.g. "--proto FILE". */
  files: string;
  /** The message type, e.g. "--proto-type". */
  type: string;
}

/** The names of the decoder options (DecoderOptions' keys). */
export const DECODER_PROTO_NAMES: ProtoOptionNames = { files: 'protoFiles', type: 'protoType' };

/**
 * Check .proto options. A type without files, a type that is not a name, and (with
 * `typeRequired`) files without a type are usage errors (UserError, exit code 1); a file that does
 * not load fails naming it (exit code 2), and so does a type the files do not define (naming the
 * type, the files and the types they define). Returns the loaded root (when there are files) and
 * the type.
 */
export function checkProtoOptions(files: readonly string[], type: unknown, names: ProtoOptionNames, typeRequired = false): { root?: protobuf.Root; protoType?: string } {
  if (files.length === 0) {
    if (type !== undefined) throw new UserError(`${names.type} needs ${names.files}: the .proto files that define ${String(type) || 'it'}`, 1);
    return {};
  }
  if (type !== undefined && (typeof type !== 'string' || !type)) throw new UserError(`${names.type} needs a message type, e.g. pkg.Msg`, 1);
  if (type === undefined && typeRequired) throw new UserError(`${names.files} needs ${names.type} pkg.Msg (the message type to decode)`, 1);
  const root = loadProtoRoot([...files]);
  if (type === undefined) return { root };
  lookupMessageType(root, type, files);
  return { root, protoType: type };
}
