/*
 * YAML written as ansible-core 2.14 writes it: `yaml.dump` with the libyaml emitter (PyYAML's
 * CSafeDumper, which Ansible's AnsibleDumper extends when libyaml is present, as on Debian). The
 * emitter is PyYAML's state machine (lib/yaml/emitter.py, the same design as libyaml's
 * src/emitter.c) written as a walk over a node tree, with libyaml's rules where the two differ:
 * characters outside the Basic Multilingual Plane (emoji) and U+0085 are not printable and are
 * escaped in double quotes, a simple key may be 128 UTF-8 bytes long, a lone plain scalar is not
 * followed by a `...` document end marker, and a double-quoted scalar folds at a space.
 */

/** A node of the representation graph (PyYAML's ScalarNode, SequenceNode, MappingNode). */
export type YamlNode =
  | { kind: 'scalar'; tag: string; value: string; /** `'|'` for a literal block scalar; plain by default. */ style?: '|' | '"' | "'" }
  | { kind: 'sequence'; tag?: string; items: YamlNode[]; flow: boolean }
  | { kind: 'mapping'; tag?: string; pairs: [YamlNode, YamlNode][]; flow: boolean };

/** Options of {@link emitYaml}, as `yaml.dump` takes them. */
export interface YamlEmitOptions {
  /** `indent` (2 to 9; default 2). */
  indent?: number;
  /** `width` (default 80; above twice the indent, else 80; negative for no limit). */
  width?: number;
  /** `allow_unicode`: write printable non-ASCII characters as they are (default false: escaped). */
  allowUnicode?: boolean;
  /** `explicit_start`: begin with `---`. */
  explicitStart?: boolean;
  /** `explicit_end`: end with `...`. */
  explicitEnd?: boolean;
}

const STR = 'tag:yaml.org,2002:str';
const BREAKS = '\n\x85\u2028\u2029';
const BLANKZ = '\0 \t\r\n\x85\u2028\u2029';

/*
 * PyYAML's implicit resolvers (lib/yaml/resolver.py), in their order: the tag a plain scalar with
 * this text would be read back as.
 */
const IMPLICIT: [string, RegExp][] = [
  ['tag:yaml.org,2002:bool', /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/],
  ['tag:yaml.org,2002:float', /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/],
  ['tag:yaml.org,2002:int', /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/],
  ['tag:yaml.org,2002:merge', /^<<$/],
  ['tag:yaml.org,2002:null', /^(?:~|null|Null|NULL|)$/],
  ['tag:yaml.org,2002:timestamp', /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/],
  ['tag:yaml.org,2002:value', /^=$/],
];

/** The tag a plain scalar `value` resolves to (PyYAML's `Resolver.resolve(ScalarNode, value, (True, False))`). */
export function resolvePlainTag(value: string): string {
  for (const [tag, re] of IMPLICIT) if (re.test(value)) return tag;
  return STR;
}

/** libyaml's IS_PRINTABLE: LF, ASCII 0x20-0x7E, U+00A0-U+D7FF and U+E000-U+FFFD without the BOM. */
function printable(cp: number): boolean {
  return cp === 0x0a || (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff);
}

interface Analysis {
  empty: boolean;
  multiline: boolean;
  flowPlain: boolean;
  blockPlain: boolean;
  singleQuoted: boolean;
  block: boolean;
}

function analyze(text: string[], allowUnicode: boolean): Analysis {
  if (text.length === 0) return { empty: true, multiline: false, flowPlain: false, blockPlain: true, singleQuoted: true, block: false };
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  const joined = text.slice(0, 3).join('');
  if (joined === '---' || joined === '...') {
    blockIndicators = true;
    flowIndicators = true;
  }
  let precededByWhitespace = true;
  let followedByWhitespace = text.length === 1 || BLANKZ.includes(text[1]!);
  let previousSpace = false;
  let previousBreak = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) {
        flowIndicators = true;
        blockIndicators = true;
      }
      if (ch === '?' || ch === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (ch === '-' && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else {
      if (',?[]{}'.includes(ch)) flowIndicators = true;
      if (ch === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      }
      if (ch === '#' && precededByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    }
    const cp = ch.codePointAt(0)!;
    if (BREAKS.includes(ch) || ch === '\r') lineBreaks = true;
    if (!printable(cp) || (cp > 0x7f && !allowUnicode)) special = true;
    if (ch === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === text.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (BREAKS.includes(ch) || ch === '\r') {
      if (i === 0) leadingBreak = true;
      if (i === text.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = BLANKZ.includes(ch);
    followedByWhitespace = i + 2 >= text.length || BLANKZ.includes(text[i + 2]!);
  }
  const a: Analysis = { empty: false, multiline: lineBreaks, flowPlain: true, blockPlain: true, singleQuoted: true, block: true };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) a.flowPlain = a.blockPlain = false;
  if (trailingSpace) a.block = false;
  if (breakSpace) a.flowPlain = a.blockPlain = a.singleQuoted = false;
  if (spaceBreak || special) a.flowPlain = a.blockPlain = a.singleQuoted = a.block = false;
  if (lineBreaks) a.flowPlain = a.blockPlain = false;
  if (flowIndicators) a.flowPlain = false;
  if (blockIndicators) a.blockPlain = false;
  return a;
}

const ESCAPES: Record<string, string> = {
  '\0': '0', '\x07': 'a', '\x08': 'b', '\t': 't', '\n': 'n', '\x0b': 'v', '\x0c': 'f', '\r': 'r', '\x1b': 'e',
  '"': '"', '\\': '\\', '\x85': 'N', '\xa0': '_', '\u2028': 'L', '\u2029': 'P',
};

interface Context {
  root: boolean;
  sequence: boolean;
  mapping: boolean;
  simpleKey: boolean;
}

/** The emitter's state: PyYAML's `Emitter` without the event queue. */
class Emitter {
  private out = '';
  private indents: number[] = [];
  private indent = -1;
  private flowLevel = 0;
  private column = 0;
  private whitespace = true;
  private indention = true;
  private readonly bestIndent: number;
  private readonly bestWidth: number;
  private readonly allowUnicode: boolean;

  constructor(options: YamlEmitOptions) {
    const indent = options.indent ?? 2;
    this.bestIndent = indent > 1 && indent < 10 ? indent : 2;
    const width = options.width ?? 80;
    this.bestWidth = width < 0 ? Number.MAX_SAFE_INTEGER : width > this.bestIndent * 2 ? width : 80;
    this.allowUnicode = options.allowUnicode === true;
  }

  document(node: YamlNode, options: YamlEmitOptions): string {
    if (options.explicitStart) {
      this.writeIndent();
      this.writeIndicator('---', true);
    }
    this.node(node, { root: true, sequence: false, mapping: false, simpleKey: false });
    this.writeIndent();
    if (options.explicitEnd) {
      this.writeIndicator('...', true);
      this.writeIndent();
    }
    return this.out;
  }

  private increaseIndent(flow: boolean, indentless = false): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? this.bestIndent : 0;
    else if (!indentless) this.indent += this.bestIndent;
  }

  private node(node: YamlNode, ctx: Context): void {
    if (node.kind === 'scalar') {
      this.increaseIndent(true);
      this.scalar(node, ctx);
      this.indent = this.indents.pop()!;
      return;
    }
    this.tag(node.tag, true);
    if (node.kind === 'sequence') {
      if (this.flowLevel > 0 || node.flow || node.items.length === 0) this.flowSequence(node.items);
      else this.blockSequence(node.items, ctx);
    } else if (this.flowLevel > 0 || node.flow || node.pairs.length === 0) this.flowMapping(node.pairs);
    else this.blockMapping(node.pairs);
  }

  private tag(tag: string | undefined, implicit: boolean): void {
    if (implicit || tag === undefined) return;
    this.writeIndicator(tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice(18)}` : tag, true);
  }

  private flowSequence(items: YamlNode[]): void {
    this.writeIndicator('[', true, true);
    this.flowLevel++;
    this.increaseIndent(true);
    items.forEach((item, i) => {
      if (i > 0) this.writeIndicator(',', false);
      if (this.column > this.bestWidth) this.writeIndent();
      this.node(item, { root: false, sequence: true, mapping: false, simpleKey: false });
    });
    this.indent = this.indents.pop()!;
    this.flowLevel--;
    this.writeIndicator(']', false);
  }

  private flowMapping(pairs: [YamlNode, YamlNode][]): void {
    this.writeIndicator('{', true, true);
    this.flowLevel++;
    this.increaseIndent(true);
    pairs.forEach(([key, value], i) => {
      if (i > 0) this.writeIndicator(',', false);
      if (this.column > this.bestWidth) this.writeIndent();
      if (this.simpleKey(key)) {
        this.node(key, { root: false, sequence: false, mapping: true, simpleKey: true });
        this.writeIndicator(':', false);
      } else {
        this.writeIndicator('?', true);
        this.node(key, { root: false, sequence: false, mapping: true, simpleKey: false });
        if (this.column > this.bestWidth) this.writeIndent();
        this.writeIndicator(':', true);
      }
      this.node(value, { root: false, sequence: false, mapping: true, simpleKey: false });
    });
    this.indent = this.indents.pop()!;
    this.flowLevel--;
    this.writeIndicator('}', false);
  }

  private blockSequence(items: YamlNode[], ctx: Context): void {
    this.increaseIndent(false, ctx.mapping && !this.indention);
    for (const item of items) {
      this.writeIndent();
      this.writeIndicator('-', true, false, true);
      this.node(item, { root: false, sequence: true, mapping: false, simpleKey: false });
    }
    this.indent = this.indents.pop()!;
  }

  private blockMapping(pairs: [YamlNode, YamlNode][]): void {
    this.increaseIndent(false);
    for (const [key, value] of pairs) {
      this.writeIndent();
      if (this.simpleKey(key)) {
        this.node(key, { root: false, sequence: false, mapping: true, simpleKey: true });
        this.writeIndicator(':', false);
      } else {
        this.writeIndicator('?', true, false, true);
        this.node(key, { root: false, sequence: false, mapping: true, simpleKey: false });
        this.writeIndent();
        this.writeIndicator(':', true, false, true);
      }
      this.node(value, { root: false, sequence: false, mapping: true, simpleKey: false });
    }
    this.indent = this.indents.pop()!;
  }

  /** libyaml's check_simple_key: a one-line scalar of at most 128 bytes, or an empty collection. */
  private simpleKey(node: YamlNode): boolean {
    if (node.kind === 'sequence') return node.items.length === 0;
    if (node.kind === 'mapping') return node.pairs.length === 0;
    if (analyze(Array.from(node.value), this.allowUnicode).multiline) return false;
    const tagLength = node.tag === STR || resolvePlainTag(node.value) === node.tag ? 0 : node.tag.length;
    return Buffer.byteLength(node.value, 'utf8') + tagLength <= 128;
  }

  /** libyaml's select_scalar_style. */
  private chooseStyle(node: Extract<YamlNode, { kind: 'scalar' }>, a: Analysis, ctx: Context): '' | "'" | '"' | '|' {
    const flow = this.flowLevel > 0;
    let style: '' | "'" | '"' | '|' = node.style ?? '';
    if (ctx.simpleKey && a.multiline) style = '"';
    if (style === '') {
      if ((flow && !a.flowPlain) || (!flow && !a.blockPlain)) style = "'";
      if (a.empty && (flow || ctx.simpleKey)) style = "'";
      if (resolvePlainTag(node.value) !== node.tag) style = "'";
    }
    if (style === "'" && !a.singleQuoted) style = '"';
    if (style === '|' && (!a.block || flow || ctx.simpleKey)) style = '"';
    return style;
  }

  private scalar(node: Extract<YamlNode, { kind: 'scalar' }>, ctx: Context): void {
    const text = Array.from(node.value);
    const a = analyze(text, this.allowUnicode);
    const style = this.chooseStyle(node, a, ctx);
    const implicit = style === '' ? resolvePlainTag(node.value) === node.tag : node.tag === STR;
    this.tag(node.tag, implicit);
    const split = !ctx.simpleKey;
    if (style === '"') this.writeDoubleQuoted(text, split);
    else if (style === "'") this.writeSingleQuoted(text, split);
    else if (style === '|') this.writeLiteral(text);
    else this.writePlain(text, split);
  }

  private write(data: string, length = Array.from(data).length): void {
    this.out += data;
    this.column += length;
  }

  private writeIndicator(indicator: string, needWhitespace: boolean, whitespace = false, indention = false): void {
    const data = this.whitespace || !needWhitespace ? indicator : ` ${indicator}`;
    this.whitespace = whitespace;
    this.indention = this.indention && indention;
    this.write(data);
  }

  private writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.writeLineBreak();
    if (this.column < indent) this.write(' '.repeat(indent - this.column));
    this.whitespace = true;
    this.indention = true;
  }

  private writeLineBreak(data = '\n'): void {
    this.out += data;
    this.whitespace = true;
    this.indention = true;
    this.column = 0;
  }

  private writePlain(text: string[], split: boolean): void {
    if (text.length === 0) return;
    if (!this.whitespace) this.write(' ');
    this.writeFolding(text, split, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeSingleQuoted(text: string[], split: boolean): void {
    this.writeIndicator("'", true);
    if (this.writeFolding(text, split, true)) this.writeIndent();
    this.writeIndicator("'", false);
  }

  /**
   * The text of a plain or single-quoted scalar: folded at a single space past the width (a
   * quoted one never at its first or last character), line breaks doubled, `'` doubled when
   * quoted. Returns whether the text ended with a line break.
   */
  private writeFolding(text: string[], split: boolean, quoted: boolean): boolean {
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (ch === ' ') {
        const edge = quoted && (i === 0 || i === text.length - 1);
        if (split && !spaces && !edge && this.column > this.bestWidth && text[i + 1] !== ' ') this.writeIndent();
        else this.write(ch);
        spaces = true;
      } else if (BREAKS.includes(ch)) {
        if (!breaks && ch === '\n') this.writeLineBreak();
        this.writeLineBreak(ch);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (quoted && ch === "'") this.write("''", 2);
        else this.write(ch);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    return breaks;
  }

  private writeDoubleQuoted(text: string[], split: boolean): void {
    this.writeIndicator('"', true);
    let spaces = false;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      const cp = ch.codePointAt(0)!;
      if (!printable(cp) || (!this.allowUnicode && cp > 0x7f) || cp === 0xfeff || BREAKS.includes(ch) || ch === '\r' || ch === '"' || ch === '\\') {
        const esc = ESCAPES[ch];
        const hex = cp.toString(16).toUpperCase();
        this.write(`\\${esc ?? (cp <= 0xff ? `x${hex.padStart(2, '0')}` : cp <= 0xffff ? `u${hex.padStart(4, '0')}` : `U${hex.padStart(8, '0')}`)}`);
        spaces = false;
      } else if (ch === ' ') {
        if (split && !spaces && this.column > this.bestWidth && i !== 0 && i !== text.length - 1) {
          this.writeIndent();
          if (text[i + 1] === ' ') this.write('\\');
        } else this.write(ch);
        spaces = true;
      } else {
        this.write(ch);
        spaces = false;
      }
    }
    this.writeIndicator('"', false);
  }

  private writeLiteral(text: string[]): void {
    const last = text[text.length - 1];
    let hints = '';
    if (text.length > 0 && (text[0] === ' ' || BREAKS.includes(text[0]!))) hints += String(this.bestIndent);
    if (last === undefined || !BREAKS.includes(last)) hints += '-';
    else if (text.length === 1 || BREAKS.includes(text[text.length - 2]!)) hints += '+';
    this.writeIndicator(`|${hints}`, true);
    this.writeLineBreak();
    let breaks = true;
    for (const ch of text) {
      if (BREAKS.includes(ch)) {
        this.writeLineBreak(ch);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.write(ch);
        this.indention = false;
        breaks = false;
      }
    }
  }
}

/**
 * Writes one YAML document as `yaml.dump(..., Dumper=AnsibleDumper)` does with libyaml: block
 * or flow collections as each node asks, scalars in the first style their text allows (plain,
 * single-quoted, double-quoted), lines folded at `width`, the document ending with a newline.
 * Source: PyYAML 6 `lib/yaml/emitter.py`, libyaml 0.2.5 `src/emitter.c` (where they differ, as
 * said at the top of this file); checked against PyYAML with libyaml by this package's tests.
 *
 * @example emitYaml({ kind: 'mapping', flow: false, pairs: [[str('a'), str('1')]] }) // "a: '1'\n"
 */
export function emitYaml(node: YamlNode, options: YamlEmitOptions = {}): string {
  return new Emitter(options).document(node, options);
}

/** Options of {@link representYaml}: `yaml.dump`'s `default_flow_style` and `sort_keys`. */
export interface YamlRepresentOptions {
  /** `true`: every collection in flow style; `false`: block style; `null`: flow for collections of plain scalars only. */
  defaultFlowStyle: boolean | null;
  /** Sort mapping keys (default true, as `yaml.dump`). */
  sortKeys?: boolean;
  /** A node for a value the caller types itself (a Python float, a date); undefined for the usual rules. */
  custom?: (value: unknown, represent: (v: unknown) => YamlNode) => YamlNode | undefined;
}

/** Code-point order of strings, as Python sorts `str`. */
function codePointCompare(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * PyYAML's SafeRepresenter for JSON-like values: `null`, booleans (`true`), integers, strings,
 * lists and string-keyed objects; a collection takes flow style by `defaultFlowStyle`, and with
 * `null` only when all its items (keys and values) are plain scalars. Numbers that are not
 * integers are represented as floats (`repr`, with `.0` before an exponent).
 * Source: PyYAML 6 `lib/yaml/representer.py` (`represent_sequence`, `represent_mapping`).
 *
 * @throws Error `cannot represent an object` for values it has no rule for (functions, symbols).
 */
export function representYaml(value: unknown, options: YamlRepresentOptions): YamlNode {
  const go = (v: unknown): YamlNode => {
    const custom = options.custom?.(v, go);
    if (custom) return custom;
    if (v === null || v === undefined) return { kind: 'scalar', tag: 'tag:yaml.org,2002:null', value: 'null' };
    if (typeof v === 'boolean') return { kind: 'scalar', tag: 'tag:yaml.org,2002:bool', value: v ? 'true' : 'false' };
    if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) return { kind: 'scalar', tag: 'tag:yaml.org,2002:int', value: String(v) };
    if (typeof v === 'number') return { kind: 'scalar', tag: 'tag:yaml.org,2002:float', value: yamlFloatText(v) };
    if (typeof v === 'string') return { kind: 'scalar', tag: STR, value: v };
    const flowOf = (children: YamlNode[]): boolean => options.defaultFlowStyle ?? children.every((c) => c.kind === 'scalar' && c.style === undefined);
    if (Array.isArray(v)) {
      const items = v.map(go);
      return { kind: 'sequence', items, flow: flowOf(items) };
    }
    if (typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
      const keys = Object.keys(v);
      if (options.sortKeys !== false) keys.sort(codePointCompare);
      const pairs = keys.map((k): [YamlNode, YamlNode] => [go(k), go((v as Record<string, unknown>)[k])]);
      return { kind: 'mapping', pairs, flow: flowOf(pairs.flat()) };
    }
    throw new Error(`cannot represent an object: ${String(v)}`);
  };
  return go(value);
}

/** SafeRepresenter's float text: `.nan`, `.inf`, `-.inf`, else `repr` lower-cased with `.0` before a bare exponent. */
export function yamlFloatText(n: number, repr: (n: number) => string = pyFloatRepr): string {
  if (Number.isNaN(n)) return '.nan';
  if (n === Infinity) return '.inf';
  if (n === -Infinity) return '-.inf';
  const r = repr(n).toLowerCase();
  return !r.includes('.') && r.includes('e') ? r.replace('e', '.0e') : r;
}

/**
 * Python's `repr(float)`: shortest round-trip digits, always with a `.0` or an exponent, exponent
 * notation below 1e-4 and from 1e16 on, `inf`, `-inf`, `nan`.
 * Source: Python docs, "Floating Point Arithmetic" and `float.__repr__` (`format_float_short`, 'r').
 */
export function pyFloatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const [mantissa = '0', expPart = '0'] = n.toExponential().split('e');
  const exp = Number(expPart);
  const neg = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let out: string;
  if (exp < -4 || exp >= 16) out = `${digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  else if (exp < 0) out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  else if (digits.length <= exp + 1) out = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  else out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  return neg ? `-${out}` : out;
}
