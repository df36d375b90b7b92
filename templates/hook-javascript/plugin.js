// A ZeroClaw hook plugin in JavaScript. Build it with `zeroclaw plugins build DIR`.
//
// WIT names are camelCase here (sessionId, beforeToolCall), enum cases are strings
// ('before-tool-call') and a variant is { tag, val }. There is no console, clock or fetch.

const UNCHANGED = { tag: 'unchanged' };
const BLOCKED_TOOLS = new Set(); // e.g. new Set(['shell'])

export const handler = {
  handles() {
    return ['before-tool-call'];
  },

  beforeToolCall(event) {
    if (BLOCKED_TOOLS.has(event.tool)) {
      return { tag: 'cancel', val: { reason: `my-hook: ${event.tool} is blocked` } };
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
