/**
 * Python's `datetime.date`, `datetime.datetime` and `datetime.timedelta` as templates see them:
 * what `from_yaml` makes of a YAML timestamp and `to_datetime` of a string, with their attributes
 * (`year`, `days`, ...), `str()` and `repr()`, subtraction, and `time.strftime`/`datetime.strptime`.
 * Source: Python docs, "datetime — Basic date and time types" and "time.strftime"; the C library's
 * strftime(3) for the directives Python passes through (`%e`, `%F`, `%T`, `%s`, ...).
 */

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const p2 = (n: number): string => String(n).padStart(2, '0');

/** `datetime.date`. */
export class PyDate {
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
  ) {}
  toString(): string {
    return `${String(this.year).padStart(4, '0')}-${p2(this.month)}-${p2(this.day)}`;
  }
  repr(): string {
    return `datetime.date(${this.year}, ${this.month}, ${this.day})`;
  }
  /** Days since 0001-01-01 plus one (Python's `toordinal`). */
  ordinal(): number {
    return Math.round(Date.UTC(this.year, this.month - 1, this.day) / 86_400_000) + 719_163;
  }
  isoformat(): string {
    return this.toString();
  }
  toJSON(): string {
    return this.toString();
  }
}

/** `datetime.datetime` (naive, or with a fixed UTC offset in minutes). */
export class PyDateTime {
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
    readonly hour = 0,
    readonly minute = 0,
    readonly second = 0,
    readonly microsecond = 0,
    /** Minutes east of UTC; undefined for a naive datetime. */
    readonly offsetMinutes?: number,
  ) {}
  /** Python's `isoformat(sep)`. */
  isoformat(sep = 'T'): string {
    let out = `${new PyDate(this.year, this.month, this.day).toString()}${sep}${p2(this.hour)}:${p2(this.minute)}:${p2(this.second)}`;
    if (this.microsecond !== 0) out += `.${String(this.microsecond).padStart(6, '0')}`;
    if (this.offsetMinutes !== undefined) {
      const off = this.offsetMinutes;
      out += `${off < 0 ? '-' : '+'}${p2(Math.floor(Math.abs(off) / 60))}:${p2(Math.abs(off) % 60)}`;
    }
    return out;
  }
  toString(): string {
    return this.isoformat(' ');
  }
  repr(): string {
    const fields = [this.year, this.month, this.day, this.hour, this.minute];
    if (this.second !== 0 || this.microsecond !== 0) fields.push(this.second);
    if (this.microsecond !== 0) fields.push(this.microsecond);
    const tz = this.offsetMinutes === undefined ? '' : this.offsetMinutes === 0 ? ', tzinfo=datetime.timezone.utc' : `, tzinfo=datetime.timezone(${new PyTimedelta(0, this.offsetMinutes * 60, 0).repr()})`;
    return `datetime.datetime(${fields.join(', ')}${tz})`;
  }
  /** Microseconds since the epoch of the wall time (the offset not applied). */
  wallMicros(): bigint {
    return BigInt(Date.UTC(this.year, this.month - 1, this.day, this.hour, this.minute, this.second)) * 1000n + BigInt(this.microsecond);
  }
  date(): PyDate {
    return new PyDate(this.year, this.month, this.day);
  }
  weekday(): number {
    return (new Date(Date.UTC(this.year, this.month - 1, this.day)).getUTCDay() + 6) % 7;
  }
  strftime(format: string): string {
    return strftime(format, this);
  }
  toJSON(): string {
    return this.isoformat();
  }
}

/** `datetime.timedelta`, normalised as Python does (0 ≤ seconds < 86400, 0 ≤ microseconds < 10**6). */
export class PyTimedelta {
  readonly days: number;
  readonly seconds: number;
  readonly microseconds: number;
  constructor(days: number, seconds: number, microseconds: number) {
    const total = (BigInt(days) * 86_400n + BigInt(seconds)) * 1_000_000n + BigInt(microseconds);
    const dayMicros = 86_400_000_000n;
    let d = total / dayMicros;
    let rest = total % dayMicros;
    if (rest < 0n) {
      rest += dayMicros;
      d -= 1n;
    }
    this.days = Number(d);
    this.seconds = Number(rest / 1_000_000n);
    this.microseconds = Number(rest % 1_000_000n);
  }
  total_seconds(): number {
    return this.days * 86_400 + this.seconds + this.microseconds / 1e6;
  }
  toString(): string {
    const h = Math.floor(this.seconds / 3600);
    const m = Math.floor((this.seconds % 3600) / 60);
    const s = this.seconds % 60;
    let out = `${h}:${p2(m)}:${p2(s)}`;
    if (this.microseconds) out += `.${String(this.microseconds).padStart(6, '0')}`;
    if (this.days) out = `${this.days} day${Math.abs(this.days) === 1 ? '' : 's'}, ${out}`;
    return out;
  }
  repr(): string {
    const parts: string[] = [];
    if (this.days) parts.push(`days=${this.days}`);
    if (this.seconds) parts.push(`seconds=${this.seconds}`);
    if (this.microseconds) parts.push(`microseconds=${this.microseconds}`);
    return `datetime.timedelta(${parts.length > 0 ? parts.join(', ') : '0'})`;
  }
}

/** `a - b` of two datetimes (a timedelta) or two dates; undefined for other operands. */
export function subtractDates(a: unknown, b: unknown): PyTimedelta | undefined {
  if (a instanceof PyDateTime && b instanceof PyDateTime) {
    if ((a.offsetMinutes === undefined) !== (b.offsetMinutes === undefined)) throw new TypeError("can't subtract offset-naive and offset-aware datetimes");
    const off = BigInt((a.offsetMinutes ?? 0) - (b.offsetMinutes ?? 0)) * 60_000_000n;
    return new PyTimedelta(0, 0, Number(a.wallMicros() - b.wallMicros() - off));
  }
  if (a instanceof PyDate && b instanceof PyDate) return new PyTimedelta(a.ordinal() - b.ordinal(), 0, 0);
  return undefined;
}

/** The fields `strftime` formats: a datetime, or a `time.struct_time` from seconds since the epoch. */
interface TimeFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
  offsetMinutes?: number;
  zone?: string;
  epoch?: number;
}

/** `time.localtime(seconds)` or `time.gmtime(seconds)` as fields (local time is the controller's TZ). */
export function timeFields(seconds: number, utc: boolean): TimeFields {
  const d = new Date(seconds * 1000);
  if (utc) return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), microsecond: 0, offsetMinutes: 0, zone: 'GMT', epoch: Math.floor(seconds) };
  const zone = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? 'UTC';
  return { year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate(), hour: d.getHours(), minute: d.getMinutes(), second: d.getSeconds(), microsecond: 0, offsetMinutes: -d.getTimezoneOffset(), zone, epoch: Math.floor(seconds) };
}

function dayOfYear(t: TimeFields): number {
  return Math.round((Date.UTC(t.year, t.month - 1, t.day) - Date.UTC(t.year, 0, 1)) / 86_400_000) + 1;
}

function weekdayOf(t: TimeFields): number {
  return new Date(Date.UTC(t.year, t.month - 1, t.day)).getUTCDay();
}

/** ISO 8601 week-based year and week number. */
function isoWeek(t: TimeFields): [number, number] {
  const date = new Date(Date.UTC(t.year, t.month - 1, t.day));
  const dow = (date.getUTCDay() + 6) % 7;
  date.setUTCDate(date.getUTCDate() - dow + 3);
  const year = date.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(year, 0, 4));
  const week = 1 + Math.round((date.getTime() - firstThursday.getTime()) / 86_400_000 / 7 - ((firstThursday.getUTCDay() + 6) % 7 - 3) / 7);
  return [year, week];
}

/**
 * Python's `strftime` (C locale): `%a %A %b %B %c %d %f %H %I %j %m %M %p %S %U %w %W %x %X %y %Y %z %Z %%`
 * and the C library's `%C %D %e %F %g %G %h %k %l %n %R %s %t %T %u %V`.
 *
 * @throws Error naming a directive it does not know.
 */
export function strftime(format: string, time: TimeFields): string {
  const t = time;
  const wd = weekdayOf(t);
  const h12 = t.hour % 12 === 0 ? 12 : t.hour % 12;
  const off = t.offsetMinutes;
  return format.replace(/%([-_0^#]?)([a-zA-Z%])/g, (m, _flag: string, c: string) => {
    switch (c) {
      case 'a': return DAYS[(wd + 6) % 7]!.slice(0, 3);
      case 'A': return DAYS[(wd + 6) % 7]!;
      case 'b': case 'h': return MONTHS[t.month - 1]!.slice(0, 3);
      case 'B': return MONTHS[t.month - 1]!;
      case 'c': return `${DAYS[(wd + 6) % 7]!.slice(0, 3)} ${MONTHS[t.month - 1]!.slice(0, 3)} ${String(t.day).padStart(2, ' ')} ${p2(t.hour)}:${p2(t.minute)}:${p2(t.second)} ${t.year}`;
      case 'C': return p2(Math.floor(t.year / 100));
      case 'd': return p2(t.day);
      case 'D': return `${p2(t.month)}/${p2(t.day)}/${p2(t.year % 100)}`;
      case 'e': return String(t.day).padStart(2, ' ');
      case 'f': return String(t.microsecond).padStart(6, '0');
      case 'F': return `${t.year}-${p2(t.month)}-${p2(t.day)}`;
      case 'g': return p2(isoWeek(t)[0] % 100);
      case 'G': return String(isoWeek(t)[0]);
      case 'H': return p2(t.hour);
      case 'I': return p2(h12);
      case 'j': return String(dayOfYear(t)).padStart(3, '0');
      case 'k': return String(t.hour).padStart(2, ' ');
      case 'l': return String(h12).padStart(2, ' ');
      case 'm': return p2(t.month);
      case 'M': return p2(t.minute);
      case 'n': return '\n';
      case 'p': return t.hour < 12 ? 'AM' : 'PM';
      case 'R': return `${p2(t.hour)}:${p2(t.minute)}`;
      case 's': return String(t.epoch ?? Math.floor(Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second) / 1000 - (off ?? 0) * 60));
      case 'S': return p2(t.second);
      case 't': return '\t';
      case 'T': return `${p2(t.hour)}:${p2(t.minute)}:${p2(t.second)}`;
      case 'u': return String(wd === 0 ? 7 : wd);
      case 'U': return p2(Math.floor((dayOfYear(t) + 6 - wd) / 7));
      case 'V': return p2(isoWeek(t)[1]);
      case 'w': return String(wd);
      case 'W': return p2(Math.floor((dayOfYear(t) + 6 - ((wd + 6) % 7)) / 7));
      case 'x': return `${p2(t.month)}/${p2(t.day)}/${p2(t.year % 100)}`;
      case 'X': return `${p2(t.hour)}:${p2(t.minute)}:${p2(t.second)}`;
      case 'y': return p2(t.year % 100);
      case 'Y': return String(t.year);
      case 'z': return off === undefined ? '' : `${off < 0 ? '-' : '+'}${p2(Math.floor(Math.abs(off) / 60))}${p2(Math.abs(off) % 60)}`;
      case 'Z': return t.zone ?? (off === 0 ? 'UTC' : '');
      case '%': return '%';
      default: throw new Error(`strftime: the directive ${m} is not supported`);
    }
  });
}

/**
 * Python's `datetime.strptime(text, format)` for `%Y %m %d %H %M %S %f %y %b %B %a %A %j %p %I %z %%`:
 * the whole text must match.
 *
 * @throws Error `time data 'x' does not match format '%Y'` as Python's ValueError.
 */
export function strptime(text: string, format: string): PyDateTime {
  const fields: Record<string, string> = {};
  let re = '^';
  const names: string[] = [];
  const group = (name: string, pattern: string): string => {
    names.push(name);
    return `(${pattern})`;
  };
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch !== '%') {
      re += /\s/.test(ch) ? '\\s+' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      continue;
    }
    const d = format[++i];
    switch (d) {
      case 'Y': re += group('Y', '\\d{4}'); break;
      case 'y': re += group('y', '\\d{2}'); break;
      case 'm': re += group('m', '1[0-2]|0[1-9]|[1-9]'); break;
      case 'd': re += group('d', '3[01]|[12]\\d|0[1-9]|[1-9]| [1-9]'); break;
      case 'H': re += group('H', '2[0-3]|[0-1]\\d|\\d'); break;
      case 'I': re += group('I', '1[0-2]|0[1-9]|[1-9]'); break;
      case 'M': re += group('M', '[0-5]\\d|\\d'); break;
      case 'S': re += group('S', '6[0-1]|[0-5]\\d|\\d'); break;
      case 'f': re += group('f', '\\d{1,6}'); break;
      case 'j': re += group('j', '36[0-6]|3[0-5]\\d|[12]\\d\\d|0[1-9]\\d|00[1-9]|[1-9]\\d|0[1-9]|[1-9]'); break;
      case 'p': re += group('p', 'am|pm|AM|PM|Am|Pm'); break;
      case 'b': case 'h': re += group('b', MONTHS.map((x) => x.slice(0, 3)).join('|')); break;
      case 'B': re += group('B', MONTHS.join('|')); break;
      case 'a': re += group('a', DAYS.map((x) => x.slice(0, 3)).join('|')); break;
      case 'A': re += group('A', DAYS.join('|')); break;
      case 'z': re += group('z', '[+-]\\d\\d:?[0-5]\\d|Z'); break;
      case '%': re += '%'; break;
      default: throw new Error(`'${d ?? ''}' is a bad directive in format '%${d ?? ''}'`);
    }
  }
  const m = new RegExp(`${re}$`, 'i').exec(text);
  if (!m) throw new Error(`time data ${JSON.stringify(text).replace(/^"|"$/g, "'")} does not match format '${format}'`);
  names.forEach((n, i) => (fields[n] = m[i + 1]!));
  const monthName = (v: string | undefined, full: boolean): number | undefined => (v === undefined ? undefined : MONTHS.findIndex((x) => (full ? x : x.slice(0, 3)).toLowerCase() === v.toLowerCase()) + 1);
  const year = fields.Y !== undefined ? Number(fields.Y) : fields.y !== undefined ? (Number(fields.y) < 69 ? 2000 : 1900) + Number(fields.y) : 1900;
  let month = Number(fields.m ?? monthName(fields.b, false) ?? monthName(fields.B, true) ?? 1);
  let day = Number(fields.d ?? 1);
  if (fields.j !== undefined) {
    const d = new Date(Date.UTC(year, 0, Number(fields.j)));
    month = d.getUTCMonth() + 1;
    day = d.getUTCDate();
  }
  let hour = Number(fields.H ?? fields.I ?? 0);
  if (fields.I !== undefined && fields.p !== undefined) hour = (hour % 12) + (fields.p.toLowerCase() === 'pm' ? 12 : 0);
  let offset: number | undefined;
  if (fields.z !== undefined) {
    const z = /^([+-])(\d\d):?(\d\d)$/.exec(fields.z);
    offset = z ? (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3])) : 0;
  }
  return new PyDateTime(year, month, day, hour, Number(fields.M ?? 0), Number(fields.S ?? 0), Number((fields.f ?? '0').padEnd(6, '0')), offset);
}
