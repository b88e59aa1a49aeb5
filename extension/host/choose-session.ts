// Which session a command acts on when it was not invoked on one (no 'vscode' here: unit-tested).

/** Without asking: the active panel's session, else the tree's selection, else the only one. */
export function chooseSession<S extends { id: string }>(candidates: readonly S[], activePanelId: string | undefined, treeSelectedId: string | undefined): S | undefined {
  for (const id of [activePanelId, treeSelectedId]) {
    const s = id ? candidates.find((c) => c.id === id) : undefined;
    if (s) return s;
  }
  return candidates.length === 1 ? candidates[0] : undefined;
}
