// my-tool: a ZeroClaw tool plugin in JavaScript. Build it with `zeroclaw plugins build .`.
//
// One tool, `slugify`: turns a text into a URL slug ("Hello, World!" -> "hello-world").
// Replace it with yours: the name, description and JSON Schema in tools(), the work in
// call(). WIT names are camelCase here (parametersSchema); a `result` error is thrown as
// its variant ({ tag: 'invalid-arguments', val: 'why' }). console.log goes to the host's
// log; there is no clock, file or fetch.

const SCHEMA = {
  type: 'object',
  properties: {
    text: { type: 'string', description: 'The text to turn into a slug.' },
    max_length: { type: 'integer', minimum: 1, description: 'Cut the slug to this.' },
  },
  required: ['text'],
  additionalProperties: false,
};

function slugify(text, maxLength) {
  const slug = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return maxLength ? slug.slice(0, maxLength).replace(/-+$/, '') : slug;
}

export const tool = {
  tools() {
    return [
      {
        name: 'slugify',
        description: 'Turns a text into a lower-case URL slug of letters, digits and dashes.',
        parametersSchema: JSON.stringify(SCHEMA),
      },
    ];
  },

  call(name, argumentsJson) {
    if (name !== 'slugify') throw { tag: 'unknown-tool', val: name };
    const args = JSON.parse(argumentsJson);
    if (typeof args.text !== 'string') {
      throw { tag: 'invalid-arguments', val: '`text` must be a string' };
    }
    const slug = slugify(args.text, args.max_length);
    console.log(`slugify: ${args.text.length} characters -> ${slug}`);
    return JSON.stringify({ slug });
  },
};
