// unit-convert: a ZeroClaw tool plugin in JavaScript, built with componentize-js.
//
// One tool, `unit_convert`: a value from one unit to another of the same kind (length,
// mass, volume, temperature). The host validates the arguments against SCHEMA before
// calling, but the plugin checks them again: a model can send anything.
//
// In JavaScript the exported interface is an object named after it (`tool`), WIT names
// are camelCase, and a `result` is returned as its ok value or thrown as its error: throw
// the `tool-error` variant itself, `{ tag: 'invalid-arguments', val: 'why' }`. Built with
// `-d stdio random clocks http fetch-event`, the component imports no WASI: no console,
// no clock, no fetch.

// Each unit: its kind and its factor to the kind's base unit (metre, kilogram, litre).
const UNITS = {
  mm: ['length', 0.001], cm: ['length', 0.01], m: ['length', 1], km: ['length', 1000],
  in: ['length', 0.0254], ft: ['length', 0.3048], yd: ['length', 0.9144], mi: ['length', 1609.344],
  mg: ['mass', 1e-6], g: ['mass', 0.001], kg: ['mass', 1], t: ['mass', 1000],
  oz: ['mass', 0.028349523125], lb: ['mass', 0.45359237],
  ml: ['volume', 0.001], l: ['volume', 1], gal: ['volume', 3.785411784],
  c: ['temperature'], f: ['temperature'], k: ['temperature'],
};

// Temperatures are affine, not proportional: through kelvin.
const TO_KELVIN = { c: (v) => v + 273.15, f: (v) => (v - 32) * 5 / 9 + 273.15, k: (v) => v };
const FROM_KELVIN = { c: (v) => v - 273.15, f: (v) => (v - 273.15) * 9 / 5 + 32, k: (v) => v };

const SCHEMA = {
  type: 'object',
  properties: {
    value: { type: 'number', description: 'The quantity to convert.' },
    from: { type: 'string', enum: Object.keys(UNITS), description: 'Its unit.' },
    to: { type: 'string', enum: Object.keys(UNITS), description: 'The unit wanted.' },
  },
  required: ['value', 'from', 'to'],
  additionalProperties: false,
};

function toolError(tag, val) {
  return { tag, val };
}

function convert(value, from, to) {
  const [kind, fromFactor] = UNITS[from];
  const [toKind, toFactor] = UNITS[to];
  if (kind !== toKind) {
    throw toolError('invalid-arguments', `cannot convert ${kind} (${from}) to ${toKind} (${to})`);
  }
  if (kind === 'temperature') return FROM_KELVIN[to](TO_KELVIN[from](value));
  return (value * fromFactor) / toFactor;
}

function parse(argumentsJson) {
  let args;
  try {
    args = JSON.parse(argumentsJson);
  } catch (e) {
    throw toolError('invalid-arguments', `not JSON: ${e.message}`);
  }
  if (args === null || typeof args !== 'object') {
    throw toolError('invalid-arguments', 'the arguments must be a JSON object');
  }
  const { value, from, to } = args;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw toolError('invalid-arguments', '`value` must be a finite number');
  }
  for (const [name, unit] of [['from', from], ['to', to]]) {
    if (!Object.hasOwn(UNITS, unit)) {
      throw toolError('invalid-arguments', `\`${name}\`: unknown unit ${JSON.stringify(unit)}`);
    }
  }
  return { value, from, to };
}

export const tool = {
  tools() {
    return [
      {
        name: 'unit_convert',
        description:
          'Converts a value between units of length (mm, cm, m, km, in, ft, yd, mi), mass ' +
          '(mg, g, kg, t, oz, lb), volume (ml, l, gal) or temperature (c, f, k).',
        parametersSchema: JSON.stringify(SCHEMA),
      },
    ];
  },

  call(name, argumentsJson) {
    if (name !== 'unit_convert') throw toolError('unknown-tool', name);
    const { value, from, to } = parse(argumentsJson);
    const result = convert(value, from, to);
    return JSON.stringify({ value, from, to, result: Number(result.toPrecision(12)) });
  },
};
