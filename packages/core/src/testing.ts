/**
 * `@converge/core/testing`: what module authors test with, without a host. A module case is
 * `{ params, facts } -> { changes, commands }` ({@link planModule}), a fact case is
 * `recorded output -> value` ({@link parseFact}), and code that talks to a transport can be
 * given one that records what it would send ({@link fakeTransport}).
 */
export { planModule } from './testing/module-harness.js';
export type { ModuleCase, ModuleCaseResult } from './testing/module-harness.js';
export { parseFact } from './testing/parse-fact.js';
export type { RecordedProbe } from './testing/parse-fact.js';
export { fakeTransport } from './testing/fake-transport.js';
export type { FakeTransport, FakeTransportOptions, RecordedCommand } from './testing/fake-transport.js';
