// my-provider: a ZeroClaw provider plugin in JavaScript. Build it with
// `zeroclaw plugins build .`.
//
// An offline model, `echo-1`, that answers with the user's last message: the shape of a
// provider without the network. Replace chat() with a call to your model's API through
// zeroclaw:host/http (see the README). WIT names are camelCase here (defaultModel,
// toolCalls); an option<T> is the value or undefined; a `result` error is thrown as its
// variant ({ tag: 'invalid-request', val: 'why' }). console.log goes to the host's log.

const MODEL = 'echo-1';

function words(text) {
  return text.split(/\s+/).filter(Boolean).length;
}

export const provider = {
  info() {
    return { displayName: 'My provider', defaultModel: MODEL, models: [MODEL], supportsTools: false };
  },

  chat(request) {
    // request.messages: system first, then the conversation (role, content, ...).
    const users = request.messages.filter((m) => m.role === 'user');
    if (users.length === 0) {
      // rate-limited and unavailable are retried; auth, invalid-request and failed go to
      // the next fallback provider.
      throw { tag: 'invalid-request', val: 'the conversation has no user message' };
    }
    const text = `You said: ${users[users.length - 1].content}`;
    console.log(`${request.model || MODEL}: ${request.messages.length} messages in`);
    return {
      text,
      toolCalls: [],
      usage: {
        inputTokens: request.messages.reduce((n, m) => n + words(m.content), 0),
        outputTokens: words(text),
      },
      model: request.model || MODEL,
    };
  },
};
