// guard-shell: a ZeroClaw hook plugin in JavaScript, built with componentize-js.
//
// - before-tool-call: cancels a `shell` call whose command matches a destructive pattern;
//   the model gets the failed result "blocked by hook: guard-shell: <why>".
// - before-prompt-build: adds one line to the prompt's context, so the model knows.
//
// In JavaScript, WIT names are camelCase (`before-tool-call` -> beforeToolCall,
// `session-id` -> sessionId), enum cases are their kebab-case strings, and a variant is
// `{ tag, val }`. Built with `-d stdio random clocks http fetch-event`, the component
// imports no WASI, so there is no console, clock or fetch: keep handlers pure.

const RULES = [
  [/\brm\s+(-[a-zA-Z]*\s+)*-[a-zA-Z]*[rR][a-zA-Z]*\s+(-[a-zA-Z]+\s+)*(\/|~|\$HOME|\/\*)(\s|$)/, 'recursive delete of / or home'],
  [/\bmkfs(\.\w+)?\b/, 'formatting a filesystem'],
  [/\bdd\b[^|;&]*\bof=\/dev\//, 'writing raw to a device'],
  [/>\s*\/dev\/(sd|nvme|hd|vd|xvd)[a-z0-9]*/, 'overwriting a disk device'],
  [/:\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:/, 'fork bomb'],
  [/\b(curl|wget)\b[^|]*\|\s*(sudo\s+)?(ba|z|da)?sh\b/, 'piping a download into a shell'],
  [/\bchmod\s+(-[a-zA-Z]*\s+)*-[a-zA-Z]*R[a-zA-Z]*\s+0?777\s+\/(\s|$)/, 'making / world-writable'],
  [/\b(shutdown|reboot|halt|poweroff)\b/, 'stopping the machine'],
];

const PROMPT_LINE =
  'Shell safety: the guard-shell plugin blocks destructive commands (recursive deletes of / ' +
  'or home, mkfs, raw writes to devices, fork bombs, piping downloads into a shell, ' +
  'shutdown). Do not try to work around a block; explain what you wanted to do instead.';

const UNCHANGED = { tag: 'unchanged' };

function commandOf(argumentsJson) {
  try {
    const args = JSON.parse(argumentsJson);
    return typeof args?.command === 'string' ? args.command : '';
  } catch {
    return '';
  }
}

function dangerOf(command) {
  for (const [pattern, why] of RULES) {
    if (pattern.test(command)) return why;
  }
  return null;
}

export const handler = {
  handles() {
    return ['before-tool-call', 'before-prompt-build'];
  },

  beforeToolCall(event) {
    if (event.tool !== 'shell') return UNCHANGED;
    const why = dangerOf(commandOf(event.arguments));
    if (why === null) return UNCHANGED;
    return { tag: 'cancel', val: { reason: `guard-shell: ${why}` } };
  },

  beforePromptBuild(event) {
    if (event.context.includes(PROMPT_LINE)) return UNCHANGED;
    return { tag: 'continue', val: { ...event, context: [...event.context, PROMPT_LINE] } };
  },

  // The host calls only the events handles() names; the others must exist but never run.
  onGatewayStart(_event) {},
  onGatewayStop() {},
  onSessionStart(_event) {},
  onSessionEnd(_event) {},
  onLlmInput(_event) {},
  onLlmOutput(_event) {},
  onAfterToolCall(_event) {},
  onMessageSent(_event) {},
  onHeartbeatTick(_event) {},
  afterCompaction(_event) {},
  beforeModelResolve(_event) { return UNCHANGED; },
  beforeLlmCall(_event) { return UNCHANGED; },
  onMessageReceived(_event) { return UNCHANGED; },
  onMessageSending(_event) { return UNCHANGED; },
  beforeCompaction(_event) { return UNCHANGED; },
  toolResultPersist(_event) { return UNCHANGED; },
};
