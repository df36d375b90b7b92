// my-hook: a ZeroClaw hook plugin in JavaScript. Build it with `zeroclaw plugins build .`.
//
// It handles `before-tool-call` and cancels `shell` commands that delete recursively
// (`rm -rf`), letting every other call through. Change handles() and the handlers you need.
// WIT names are camelCase here (sessionId, beforeToolCall), enum cases are strings
// ('before-tool-call') and a variant is { tag, val }. console.log goes to the host's log;
// there is no clock, file or fetch.

const UNCHANGED = { tag: 'unchanged' };
const RECURSIVE_DELETE = /\brm\s+(-[a-zA-Z]*r[a-zA-Z]*f|-[a-zA-Z]*f[a-zA-Z]*r)\b/;

export const handler = {
  handles() {
    return ['before-tool-call'];
  },

  beforeToolCall(event) {
    if (event.tool !== 'shell') return UNCHANGED;
    const { command = '' } = JSON.parse(event.arguments);
    if (RECURSIVE_DELETE.test(command)) {
      console.log(`blocked: ${command}`);
      return { tag: 'cancel', val: { reason: 'my-hook: no recursive deletes' } };
    }
    // To rewrite the call: return { tag: 'continue', val: { ...event, arguments: '{...}' } };
    return UNCHANGED;
  },

  // Every function of the interface must exist; the host calls only those handles() names.
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
  beforePromptBuild(_event) { return UNCHANGED; },
  beforeLlmCall(_event) { return UNCHANGED; },
  onMessageReceived(_event) { return UNCHANGED; },
  onMessageSending(_event) { return UNCHANGED; },
  beforeCompaction(_event) { return UNCHANGED; },
  toolResultPersist(_event) { return UNCHANGED; },
};
