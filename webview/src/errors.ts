// An error's text for a notice in the panel.
export function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
