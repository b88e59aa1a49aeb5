// The process strip: each process with its state and signal buttons; SIGKILL asks first.
import { CONFIRM_SIGNALS, PANEL_SIGNALS, type ProcessInfo } from '../../extension/shared/webview';
import { badge, button } from './components/index';
import { el, type Doc } from './dom';

export interface StripState {
  /** A signal waiting for the user's confirmation. */
  confirm?: { pid: number; signal: string };
  /** Last outcome per pid ("SIGTERM: exited with code 0"). */
  outcomes: ReadonlyMap<number, string>;
  /** The processes can be signalled (a live session; not a capture read from a file). */
  live?: boolean;
}

export interface StripActions {
  /** A signal button was clicked (confirmation not yet given for CONFIRM_SIGNALS). */
  signal(pid: number, signal: string): void;
  confirm(): void;
  cancel(): void;
}

export function needsConfirm(signal: string): boolean {
  return CONFIRM_SIGNALS.has(signal);
}

export function stateText(p: ProcessInfo): string {
  if (p.state !== 'exited') return p.state;
  if (p.signal) return `exited (${p.signal})`;
  return `exited (code ${p.code ?? '?'})`;
}

export function renderProcessStrip(doc: Doc, processes: readonly ProcessInfo[], st: StripState, act: StripActions): HTMLElement {
  const strip = el(doc, 'div', { class: 'process-strip', 'data-testid': 'process-strip', role: 'toolbar', 'aria-label': 'processes' });
  if (processes.length === 0) {
    strip.appendChild(el(doc, 'span', { class: 'muted' }, 'No processes in this session.'));
    return strip;
  }
  for (const p of processes) {
    const exited = p.state === 'exited';
    const box = el(
      doc,
      'div',
      { class: `process state-${p.state}`, 'data-testid': 'process', 'data-pid': p.pid },
      el(doc, 'span', { class: 'p-name', title: p.command.join(' ') }, p.name || p.command[0] || '?'),
      el(doc, 'span', { class: 'p-pid' }, `pid ${p.pid}`),
      badge(doc, stateText(p), 'process-state', p.command.join(' ')),
    );
    if (st.confirm?.pid === p.pid) {
      box.appendChild(
        el(
          doc,
          'span',
          { class: 'confirm', role: 'alertdialog', 'data-testid': 'signal-confirm-box' },
          `Send ${st.confirm.signal} to ${p.name || 'pid'} ${p.pid}? It cannot be caught.`,
          button(doc, `Send ${st.confirm.signal}`, { appearance: 'primary', testid: 'signal-confirm', attrs: { 'data-pid': p.pid }, onClick: () => act.confirm() }),
          button(doc, 'Cancel', { testid: 'signal-cancel', attrs: { 'data-pid': p.pid }, onClick: () => act.cancel() }),
        ),
      );
    } else if (st.live !== false) {
      const sigs = el(doc, 'span', { class: 'signals' });
      for (const s of PANEL_SIGNALS) {
        sigs.appendChild(
          button(doc, s.slice(3), {
            testid: `signal-${s}`,
            title: exited ? `${s}: the process has exited` : `Send ${s} to pid ${p.pid}`,
            disabled: exited,
            attrs: { 'data-pid': p.pid, 'data-signal': s },
            onClick: () => act.signal(p.pid, s),
          }),
        );
      }
      box.appendChild(sigs);
    }
    const outcome = st.outcomes.get(p.pid);
    if (outcome) box.appendChild(el(doc, 'span', { class: 'outcome', 'data-testid': 'signal-outcome', 'data-pid': p.pid }, outcome));
    strip.appendChild(box);
  }
  return strip;
}
