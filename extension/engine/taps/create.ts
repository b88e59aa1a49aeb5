// Builds the tap for a parsed spec (stdio taps are made by the launcher, not here).
import type { Tap, TapSink, TapSpec } from './tap';
import { UnixProxyTap, UnixTakeoverTap, type TakeoverOptions } from './unix';
import { FifoTap } from './fifo';
import { TcpTap } from './tcp';

export type TapOptions = TakeoverOptions;

export function createTap(spec: TapSpec, sink: TapSink, opts: TapOptions = {}): Tap {
  switch (spec.kind) {
    case 'unix':
      return spec.mode === 'takeover' ? new UnixTakeoverTap(spec, sink, opts) : new UnixProxyTap(spec, sink);
    case 'fifo':
      return new FifoTap(spec, sink, opts);
    case 'tcp':
      return new TcpTap(spec, sink);
  }
}
