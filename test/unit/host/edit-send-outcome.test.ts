// What VS Code says after Edit and Send…: the edited message not sent, sent with messages after it
// left unsent, or sent with the whole call — warnings for the first two.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { editSendOutcome } from '../../../extension/host/edit-send-outcome';
import type { EditSendResult } from '../../../extension/shared/requests';

const result = (r: Partial<EditSendResult>): EditSendResult => ({
  sessionId: 's1',
  conn: 2,
  sent: 4,
  total: 4,
  editedSent: true,
  same: 5,
  different: 0,
  missing: 0,
  extra: 0,
  sides: { a: '', b: '' },
  ...r,
});

test('the edited message not sent: a warning saying so, with how many went and the notes', () => {
  const notes = [
    'the server ended the call (status OK) before its answer 2, so request 3 was not sent; 2 of 4 request messages sent',
    'the edited message, request 3, was not sent',
  ];
  assert.deepEqual(editSendOutcome(7, result({ sent: 2, editedSent: false, missing: 3, notes })), {
    text: `The server stopped before the edited #7: 2 of 4 messages sent, the edited one not. ${notes.join('; ')}.`,
    warning: true,
  });
});

test('the edited message sent, later ones not: a warning; every message sent: the answers compared', () => {
  assert.deepEqual(editSendOutcome(7, result({ sent: 3, different: 1, missing: 2, same: 2 })), {
    text: 'Sent the edited #7, then the server stopped: 3 of 4 messages sent; 1 answer differs, 2 missing, 0 new.',
    warning: true,
  });
  assert.deepEqual(editSendOutcome(7, result({})), { text: 'Sent the edited #7: every answer the same as captured.', warning: false });
  assert.deepEqual(editSendOutcome(7, result({ different: 2 })), { text: 'Sent the edited #7: 2 answers differ, 0 missing, 0 new.', warning: false });
});
