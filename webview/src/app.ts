// The panel's controller: owns the state, wires toolbar, process strip, list and detail pane
// to the host link. Rows are fetched by range and filter; nothing holds every row.
import { tapLabel } from '../../extension/shared/tap-label';
import type { DecoderDescription, SessionDetail, SessionSummary } from '../../extension/shared/requests';
import { parseFilter } from '../../extension/shared/filter';
import { PANEL_TABS, type HostToWebview, type PanelState, type PanelTab, type WireRow } from '../../extension/shared/webview';
import { button } from './components/index';
import { DetailController } from './detail/controller';
import { el, setChildren, setText } from './dom';
import { errText } from './errors';
import type { HostLink } from './host';
import { VirtualList } from './list/list';
import { needsConfirm, renderProcessStrip } from './processes';
import { RowCache } from './list/row-cache';
import { CONVERSATION_ROW_HEIGHT, ROW_HEIGHT, renderConversationRow, renderListRow } from './list/row-view';
import { findPair } from './list/pairs';
import { effectiveFilter, sanitizeState } from './state';
import { createToolbar, type Toolbar } from './toolbar/toolbar';
import { emptyFacts, filterCompletions, filterPlaceholder, learnFacts, type FilterFacts } from './toolbar/filter-hints';
import { navigate } from './list/scroll-math';
import { FlowView } from './flow/flow-view';
import { StatsView } from './stats/stats-view';
import { RedecodeNotice } from './redecode-notice';

const TAB_LABELS: Record<PanelTab, string> = { list: 'List', flow: 'Flow', stats: 'Statistics' };

const COLUMNS = ['#', 'Time', 'Conn', 'Dir', 'Proto', 'Len', 'Summary'];

export class App {
  private state: PanelState = { sessionId: '' };
  session?: SessionDetail;
  private decoders: DecoderDescription[] = [];
  readonly cache = new RowCache<WireRow>();
  private readonly list: VirtualList;
  private readonly toolbar: Toolbar;
  private readonly detail: DetailController;
  private readonly stripBox: HTMLElement;
  private readonly noticeBox: HTMLElement;
  private readonly banner: HTMLElement;
  private readonly header: HTMLElement;
  /** "No rows match …" over the empty list (does not move anything). */
  private readonly emptyBox: HTMLElement;
  private readonly facts: FilterFacts = emptyFacts();
  /** Rows the filter hints have learnt from (each is parsed once). */
  private readonly learned = new WeakSet<WireRow>();
  private selectedIndex = -1;
  /** The view shows the last row (follow new rows unless paused). */
  private stick = true;
  private confirm?: { pid: number; signal: string };
  private readonly outcomes = new Map<number, string>();
  private tailBusy = false;
  private tailAgain = false;
  private allRows = 0;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private noticeTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly redecodeNotice = new RedecodeNotice({ notice: (text, sticky) => this.notice(text, false, sticky) });
  private started = false;
  /** Set while reload() rebuilds and positions the list. */
  private placing = false;
  private readonly flow: FlowView;
  private readonly stats: StatsView;
  private readonly listPane: HTMLElement;
  private readonly tabButtons = new Map<PanelTab, HTMLElement>();

  constructor(
    private readonly doc: Document,
    root: HTMLElement,
    private readonly host: HostLink,
  ) {
    this.toolbar = createToolbar(doc, {
      filter: (t) => this.setFilter(t),
      togglePause: () => this.setPaused(!this.state.paused),
      clear: () => this.clear(),
      unclear: () => {
        delete this.state.clearedAfter;
        this.reload();
      },
      save: () => void this.call(this.host.request('capture/save', {})),
      jumpToEnd: () => this.jumpToEnd(),
      decodeAs: (tap, decoder, protoType) =>
        void this.call(this.host.request('session/decodeAs', { decoder, ...(tap === undefined ? {} : { tap }), ...(protoType === undefined ? {} : { protoType }) })).then((r) => {
          if (!r) return;
          if (protoType !== undefined && this.session?.proto) {
            this.session.proto.type = protoType || undefined;
            this.toolbar.setProtoChoices(this.session.proto);
          }
          const as = protoType ? `${decoder} (${protoType})` : decoder;
          if (r.redecoding) this.redecodeNotice.start(tap, as);
          else this.notice(`Decoding ${tap ?? 'every tap'} as ${as} for the connections opened from now on.`, false);
        }),
      focusList: () => this.list.focus(),
    });
    this.list = new VirtualList(doc, ROW_HEIGHT, {
      render: (i) => {
        const marks = { selectedId: this.state.selectedId, pairedId: this.detail.pairedId };
        return this.state.followConn !== undefined ? renderConversationRow(doc, i, this.cache.get(i), marks) : renderListRow(doc, i, this.cache.get(i), marks);
      },
      need: (first, end) => this.need(first, end),
      key: (k, page) => {
        const next = navigate(k, this.selectedIndex, this.list.count, page);
        if (next !== undefined) this.select(next, true);
      },
      click: (i) => this.select(i, false),
      scrolled: (atEnd) => {
        // Scroll events while the list is being rebuilt are ours, not the user's.
        if (!this.placing) this.stick = atEnd;
        this.scheduleSave();
      },
    });
    this.detail = new DetailController(doc, this);
    this.stripBox = el(doc, 'div', { class: 'strip-box' });
    this.noticeBox = el(doc, 'div', { class: 'notice', role: 'status', 'aria-live': 'polite', 'data-testid': 'notice' });
    this.noticeBox.hidden = true;
    this.banner = el(doc, 'div', { class: 'follow-banner', 'data-testid': 'follow-banner' });
    this.banner.hidden = true;
    this.emptyBox = el(doc, 'div', { class: 'empty-state', role: 'status', 'data-testid': 'no-match' });
    this.emptyBox.hidden = true;
    this.toolbar.setCompleter((text) => filterCompletions(text, this.facts));
    this.header = el(
      doc,
      'div',
      { class: 'list-header row', role: 'row' },
      ...COLUMNS.map((c, i) => el(doc, 'span', { class: ['c-num', 'c-time', 'c-conn', 'c-dir', 'c-proto', 'c-len', 'c-summary'][i], role: 'columnheader' }, c)),
    );
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the flow reads live fields through getters
    const app = this;
    this.flow = new FlowView(doc, {
      // Follow Connection highlights its arrows in the flow instead of narrowing the flow to them.
      get filter() {
        return app.flowFilter;
      },
      get transport() {
        return app.state.flowTransport === true;
      },
      setTransport: (on) => {
        this.state.flowTransport = on;
        this.flow.reset();
        this.scheduleSave();
      },
      get proportional() {
        return app.state.flowTime === true;
      },
      setProportional: (on) => {
        this.state.flowTime = on;
        this.flow.reset();
        this.scheduleSave();
      },
      get groupChunks() {
        return app.state.flowGroup === true;
      },
      setGroupChunks: (on) => {
        this.state.flowGroup = on;
        this.flow.reset();
        this.scheduleSave();
      },
      get selectedId() {
        return app.state.selectedId;
      },
      get followConn() {
        return app.state.followConn;
      },
      fetch: (q) => this.host.request('flow/get', { ...q, filter: this.flowFilter }),
      select: (id) =>
        void this.goToRow(id).then((ok) => {
          if (!ok) this.notice(`Row #${id} is not in the list.`, true);
          this.flow.redraw();
        }),
      exportSvg: (svg) => void this.call(this.host.request('flow/exportSvg', { svg })),
      exportPng: (png) => void this.call(this.host.request('flow/exportPng', { png })),
      notice: (text, isError) => this.notice(text, isError),
    });
    this.stats = new StatsView(doc, {
      fetch: () => this.host.request('stats/get', {}),
      filterMethod: (m) => {
        const text = /\s/.test(m) ? `method:"${m}"` : `method:${m}`;
        this.toolbar.setFilter(text);
        this.setFilter(text);
        this.showTab('list');
      },
    });
    const tabs = el(doc, 'div', { class: 'view-tabs', role: 'tablist', 'aria-label': 'Views' });
    for (const t of PANEL_TABS) {
      const b = el(doc, 'button', { class: 'view-tab', role: 'tab', type: 'button', 'data-testid': `tab-${t}`, 'aria-selected': 'false' }, TAB_LABELS[t]);
      b.addEventListener('click', () => this.showTab(t));
      this.tabButtons.set(t, b);
      tabs.appendChild(b);
    }
    this.flow.root.hidden = true;
    this.stats.root.hidden = true;
    const listPane = el(doc, 'div', { class: 'list-pane tab-list' }, tabs, this.header, this.list.scroller, this.emptyBox, this.flow.root, this.stats.root);
    this.listPane = listPane;
    const main = el(doc, 'div', { class: 'main' }, listPane, splitter(doc, listPane), this.detail.root);
    setChildren(doc, root, this.toolbar.root, this.stripBox, this.noticeBox, this.banner, main);
  }

  // ---- messages from the host --------------------------------------------------------------

  handle(msg: HostToWebview): void {
    if (this.host.handle(msg)) return;
    switch (msg.type) {
      case 'init':
        this.init(msg.sessionId, msg.session, msg.decoders, msg.state, msg.previousSessionId);
        break;
      case 'changed':
        if (msg.reloaded) {
          // Decoded again from the capture: every row is new.
          this.allRows = 0;
          if (msg.summary) this.applySummary(msg.summary);
          this.reload();
          this.stats.refresh();
          break;
        }
        if (msg.summary) this.applySummary(msg.summary);
        if (msg.appended) this.allRows = Math.max(this.allRows, msg.appended.to);
        if (msg.appended || msg.summary) this.refreshTail();
        if (msg.appended) {
          this.flow.refresh();
          this.stats.refresh();
        }
        break;
      case 'reveal':
        void this.reveal(msg.rowId);
        break;
      case 'follow':
        this.followConnection(msg.conn);
        break;
      case 'unavailable':
        this.notice(msg.message, true);
        this.toolbar.setSessionState('unavailable', false);
        break;
    }
  }

  private init(sessionId: string, session: SessionDetail, decoders: DecoderDescription[], hostState?: PanelState, previousId?: string): void {
    const own = this.host.getState() as PanelState | undefined;
    // Our own saved state wins; after an engine restart it was saved under the previous id.
    const mine = own && (own.sessionId === sessionId || (previousId !== undefined && own.sessionId === previousId)) ? { ...own, sessionId } : undefined;
    this.state = sanitizeState(mine ?? hostState ?? own, sessionId);
    if (session.capturePath) this.state.capturePath = session.capturePath;
    this.session = session;
    this.decoders = decoders;
    this.allRows = session.rows;
    this.toolbar.setFilter(this.state.filter ?? '');
    this.toolbar.setErrors(parseFilter(this.state.filter ?? '').errors);
    this.toolbar.setDecodeChoices(session.taps, decoders);
    this.toolbar.setProtoChoices(session.proto);
    this.applySummary(session);
    this.applyFollowMode();
    this.setPaused(this.state.paused ?? false, false);
    // Live sessions follow the tail; capture files open at the top. A restored scroll position
    // means the user was not at the end.
    this.stick = this.state.topIndex === undefined && this.live;
    this.started = true;
    this.reload(this.state.topIndex);
    this.showTab(this.state.tab ?? 'list');
  }

  /** Show the list, the flow diagram or the statistics in the list's place. */
  showTab(tab: PanelTab): void {
    if (tab === 'list') delete this.state.tab;
    else this.state.tab = tab;
    for (const [t, b] of this.tabButtons) {
      b.setAttribute('aria-selected', t === tab ? 'true' : 'false');
      b.classList.toggle('active', t === tab);
    }
    for (const t of PANEL_TABS) this.listPane.classList.toggle(`tab-${t}`, t === tab);
    this.flow.root.hidden = tab !== 'flow';
    this.stats.root.hidden = tab !== 'stats';
    this.flow.active = tab === 'flow';
    this.stats.active = tab === 'stats';
    if (tab === 'flow') this.flow.show();
    else if (tab === 'stats') this.stats.show();
    else this.showList();
    this.scheduleSave();
  }

  /** The list again: a hidden list has no height to scroll in, so a row selected in the Flow
   *  tab (or a placement made meanwhile) is brought into view now. */
  private showList(): void {
    if (this.following) this.list.scrollToEnd();
    else if (this.selectedIndex >= 0) this.list.ensureVisible(this.selectedIndex);
    this.list.schedule();
  }

  private applySummary(s: SessionSummary): void {
    if (this.session) {
      const { connectionList } = this.session;
      Object.assign(this.session, s);
      // A summary carries no connection list: keep ours.
      this.session.connectionList = (s as Partial<SessionDetail>).connectionList ?? connectionList ?? [];
    }
    this.allRows = Math.max(this.allRows, s.rows);
    this.toolbar.setSessionState(s.state, this.live);
    this.toolbar.setDecoding(s.decoding);
    this.redecodeNotice.progress(s.decoding);
    this.toolbar.setDecodeChoices(s.taps, this.decoders);
    this.renderStrip();
    this.updateCount();
  }

  get live(): boolean {
    return this.session?.state === 'live' || this.session?.state === 'starting';
  }

  // ---- rows ----------------------------------------------------------------------------------

  get filter(): string {
    return effectiveFilter(this.state);
  }

  /** The flow's filter: the list's, without the followed connection (the flow highlights it). */
  get flowFilter(): string {
    return effectiveFilter({ ...this.state, followConn: undefined });
  }

  private need(first: number, end: number): void {
    for (const p of this.cache.missingPages(first, end)) this.fetchPage(p);
    this.cache.evict(first, end);
  }

  private fetchPage(page: number): Promise<void> {
    const gen = this.cache.generation;
    this.cache.markRequested(page);
    const ps = this.cache.pageSize;
    return this.host.request('rows/get', { start: page * ps, count: ps, filter: this.filter }).then(
      (r) => {
        if (this.cache.fill(gen, page, r.rows, r.total)) this.rowsArrived();
      },
      (err: unknown) => {
        this.cache.failed(gen, page);
        this.notice(`Could not load rows: ${errText(err)}`, true);
      },
    );
  }

  private rowsArrived(): void {
    const total = Math.max(0, this.cache.total);
    if (total !== this.list.count) {
      this.list.setTotal(total);
      if (this.following) this.list.scrollToEnd();
    }
    for (const r of this.cache.loaded()) if (r.id > this.allRows) this.allRows = r.id;
    if (learnFacts(this.facts, this.cache.loaded(), this.learned) && this.state.followConn === undefined) this.toolbar.setFilterEnabled(true, filterPlaceholder(this.facts));
    this.list.schedule();
    this.updateCount();
    if (this.selectedIndex >= 0) {
      const row = this.cache.get(this.selectedIndex);
      if (row && row.id !== this.state.selectedId) this.state.selectedId = row.id;
    }
    this.detail.update();
  }

  private get following(): boolean {
    return this.stick && !this.state.paused;
  }

  /** New rows may have arrived: ask for the page where they would land (one request at a time). */
  private refreshTail(): void {
    if (!this.started) return;
    if (this.tailBusy) {
      this.tailAgain = true;
      return;
    }
    this.tailBusy = true;
    const page = Math.floor(Math.max(0, this.cache.total) / this.cache.pageSize);
    void this.fetchPage(page).finally(() => {
      this.tailBusy = false;
      if (this.tailAgain) {
        this.tailAgain = false;
        this.refreshTail();
      }
    });
  }

  /** Forget the cached rows (filter changed, cleared) and place the view again. */
  private reload(topIndex?: number): void {
    const stick = this.stick;
    this.flow.reset();
    this.placing = true;
    this.cache.reset();
    this.selectedIndex = -1;
    this.list.setTotal(0);
    const gen = this.cache.generation;
    const ps = this.cache.pageSize;
    const first = topIndex !== undefined ? Math.floor(topIndex / ps) : 0;
    void this.fetchPage(first).then(async () => {
      if (gen !== this.cache.generation) return;
      this.stick = stick;
      const id = this.state.selectedId;
      if (id !== undefined) {
        const found = await this.find(id);
        if (gen !== this.cache.generation) return;
        if (found >= 0) this.selectedIndex = found;
      }
      if (topIndex !== undefined) this.list.scrollToIndex(topIndex, 'top');
      else if (this.selectedIndex >= 0 && !this.following) this.list.scrollToIndex(Math.max(0, this.selectedIndex - Math.floor(this.list.pageRows() / 2)));
      else if (this.following) this.list.scrollToEnd();
      else this.list.scrollToIndex(0);
      this.detail.update();
      this.scheduleSave();
      // Let the scroll events of the placement pass before listening to the user again.
      setTimeout(() => {
        if (gen === this.cache.generation) this.placing = false;
      }, 50);
    });
  }

  private find(id: number): Promise<number> {
    return this.host.request('rows/find', { id, filter: this.filter }).then(
      (r) => r.index,
      () => -1,
    );
  }

  private updateCount(): void {
    const shown = Math.max(0, this.cache.total);
    const filtered = this.filter !== '';
    this.toolbar.setCount(shown, this.allRows, filtered);
    // Say why the list is empty once the answer is in.
    const text =
      this.cache.total !== 0
        ? ''
        : this.state.filter?.trim()
          ? `No rows match “${this.state.filter.trim()}” (of ${this.allRows.toLocaleString('en-US')} rows).`
          : this.state.clearedAfter !== undefined
            ? 'Cleared: new rows appear here.'
            : this.filter !== ''
              ? 'No rows here.'
              : this.live
                ? 'No rows yet: they appear as the processes talk.'
                : 'This capture has no rows.';
    setText(this.emptyBox, text);
    this.emptyBox.hidden = text === '';
  }

  // ---- selection -----------------------------------------------------------------------------

  selectedRow(): WireRow | undefined {
    return this.selectedIndex >= 0 ? this.cache.get(this.selectedIndex) : undefined;
  }

  isSelectionLoading(): boolean {
    return this.selectedIndex >= 0 && !this.cache.get(this.selectedIndex);
  }

  select(index: number, scroll: boolean): void {
    if (index < 0 || index >= this.list.count) return;
    this.selectedIndex = index;
    const row = this.cache.get(index);
    this.state.selectedId = row?.id;
    if (scroll) this.list.ensureVisible(index);
    this.detail.update();
    this.list.schedule();
    this.flow.reveal();
    this.scheduleSave();
  }

  /** Select a row by id (pair links, Reveal in Panel). Returns false when the filter hides it. */
  async goToRow(id: number): Promise<boolean> {
    const index = await this.find(id);
    if (index < 0) return false;
    this.stick = false;
    if (index >= this.list.count) this.list.setTotal(index + 1);
    this.list.scrollToIndex(Math.max(0, index - Math.floor(this.list.pageRows() / 2)));
    this.select(index, true);
    return true;
  }

  private async reveal(id: number): Promise<void> {
    if (await this.goToRow(id)) return;
    // Hidden by the filter, follow mode or Clear: show everything, then try again.
    delete this.state.followConn;
    delete this.state.clearedAfter;
    this.state.filter = '';
    this.toolbar.setFilter('');
    this.applyFollowMode();
    this.cache.reset();
    await this.fetchPage(0);
    if (!(await this.goToRow(id))) this.notice(`Row #${id} is not in this session.`, true);
  }

  /** The selected row's request or reply (for highlighting). */
  pairOfSelection(): ReturnType<typeof findPair> {
    return findPair(this.selectedRow(), this.cache.loaded());
  }

  // ---- toolbar actions ------------------------------------------------------------------------

  private setFilter(text: string): void {
    const before = this.filter;
    this.state.filter = text;
    this.toolbar.setErrors(parseFilter(text).errors);
    if (this.filter !== before) this.reload();
    this.scheduleSave();
  }

  private setPaused(paused: boolean, jump = true): void {
    this.state.paused = paused;
    this.toolbar.setPaused(paused);
    if (!paused && jump) this.jumpToEnd();
    this.scheduleSave();
  }

  private jumpToEnd(): void {
    this.stick = true;
    this.list.scrollToEnd();
    this.list.focus();
  }

  private clear(): void {
    this.state.clearedAfter = this.allRows;
    delete this.state.selectedId;
    this.toolbar.setCleared(true);
    this.stick = true;
    this.reload();
  }

  followConnection(conn: number | undefined): void {
    if (conn === undefined) delete this.state.followConn;
    else this.state.followConn = conn;
    this.applyFollowMode();
    this.reload();
  }

  private applyFollowMode(): void {
    const conn = this.state.followConn;
    this.toolbar.setCleared(this.state.clearedAfter !== undefined);
    this.header.hidden = conn !== undefined;
    this.list.setRowHeight(conn !== undefined ? CONVERSATION_ROW_HEIGHT : ROW_HEIGHT);
    if (conn === undefined) {
      this.banner.hidden = true;
      this.toolbar.setFilterEnabled(true, filterPlaceholder(this.facts));
      return;
    }
    const info = this.session?.connectionList?.find((c) => c.conn === conn);
    const where = info ? ` on ${tapLabel(info.tap, this.session?.processes)}${info.from ? ` from ${info.from}` : ''}` : '';
    setChildren(
      this.doc,
      this.banner,
      el(this.doc, 'span', {}, `Connection ${conn}${where}: the conversation, both directions (client left, server right).`),
      button(this.doc, 'Back to all rows', { testid: 'follow-close', onClick: () => this.followConnection(undefined) }),
    );
    this.banner.hidden = false;
    this.toolbar.setFilterEnabled(false, `Following connection ${conn}`);
  }

  // ---- processes and signals -----------------------------------------------------------------

  private renderStrip(): void {
    setChildren(
      this.doc,
      this.stripBox,
      renderProcessStrip(
        this.doc,
        this.session?.processes ?? [],
        { confirm: this.confirm, outcomes: this.outcomes, live: this.live },
        {
          signal: (pid, s) => {
            if (needsConfirm(s)) {
              this.confirm = { pid, signal: s };
              this.renderStrip();
            } else void this.sendSignal(pid, s);
          },
          confirm: () => {
            const c = this.confirm;
            this.confirm = undefined;
            this.renderStrip();
            if (c) void this.sendSignal(c.pid, c.signal);
          },
          cancel: () => {
            this.confirm = undefined;
            this.renderStrip();
          },
        },
      ),
    );
  }

  async sendSignal(pid: number, signal: string): Promise<void> {
    this.outcomes.set(pid, `${signal}: sending…`);
    this.renderStrip();
    try {
      const r = await this.host.request('signal/send', needsConfirm(signal) ? { pid, signal, confirmed: true } : { pid, signal });
      this.outcomes.set(pid, `${signal}: ${r.outcome}`);
    } catch (err) {
      this.outcomes.set(pid, `${signal} failed: ${errText(err)}`);
    }
    this.renderStrip();
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** Run a host request; show its error (or `done`) as a notice. */
  async call<T>(p: Promise<T>, done?: string): Promise<T | undefined> {
    try {
      const r = await p;
      if (done) this.notice(done, false);
      return r;
    } catch (err) {
      this.notice(errText(err), true);
      return undefined;
    }
  }

  request: HostLink['request'] = (method, params) => this.host.request(method, params);

  /** The status line: hidden again after a while unless `sticky` (something still under way). */
  notice(text: string, isError: boolean, sticky = false): void {
    setText(this.noticeBox, text);
    this.noticeBox.classList.toggle('error', isError);
    this.noticeBox.hidden = false;
    if (this.noticeTimer) clearTimeout(this.noticeTimer);
    this.noticeTimer = sticky ? undefined : setTimeout(() => (this.noticeBox.hidden = true), isError ? 12000 : 5000);
  }

  get fieldPath(): string | undefined {
    return this.state.fieldPath;
  }

  set fieldPath(p: string | undefined) {
    if (p === undefined) delete this.state.fieldPath;
    else this.state.fieldPath = p;
    this.scheduleSave();
  }

  /** Re-render visible rows (after the selection's pair changed). */
  refreshRows(): void {
    this.list.schedule();
  }

  scheduleSave(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      if (!this.started) return;
      if (this.list.count > 0 && !this.stick) this.state.topIndex = this.list.topIndex();
      else delete this.state.topIndex;
      this.host.setState(this.state);
    }, 200);
  }
}

/**
 * The bar between the list and the detail pane: drag it (or use the arrow keys on it) to give
 * either more room.
 */
function splitter(doc: Document, listPane: HTMLElement): HTMLElement {
  const bar = el(doc, 'div', {
    class: 'splitter',
    role: 'separator',
    'aria-orientation': 'horizontal',
    'aria-label': 'Resize the list and the detail pane',
    tabindex: 0,
    'data-testid': 'splitter',
  });
  const setPct = (pct: number) => {
    const p = Math.max(15, Math.min(90, pct));
    listPane.style.flex = `0 0 ${p}%`;
    bar.setAttribute('aria-valuenow', String(Math.round(p)));
  };
  const pctAt = (clientY: number) => {
    const box = (bar.parentElement ?? bar).getBoundingClientRect();
    return box.height > 0 ? ((clientY - box.top) / box.height) * 100 : 55;
  };
  bar.addEventListener('pointerdown', (ev) => {
    const e = ev as PointerEvent;
    e.preventDefault();
    bar.setPointerCapture?.(e.pointerId);
    const move = (m: Event) => setPct(pctAt((m as PointerEvent).clientY));
    const up = () => {
      bar.removeEventListener('pointermove', move);
      bar.removeEventListener('pointerup', up);
    };
    bar.addEventListener('pointermove', move);
    bar.addEventListener('pointerup', up);
  });
  bar.addEventListener('keydown', (ev) => {
    const k = (ev as KeyboardEvent).key;
    if (k !== 'ArrowUp' && k !== 'ArrowDown') return;
    ev.preventDefault();
    const now = Number(bar.getAttribute('aria-valuenow') ?? 55);
    setPct(now + (k === 'ArrowUp' ? -5 : 5));
  });
  return bar;
}
