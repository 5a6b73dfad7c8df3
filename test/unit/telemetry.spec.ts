import { randomBytes } from 'node:crypto';
import {
  AXESS_METRICS,
  AxessTelemetry,
  CookieSigner,
  InMemorySessionStore,
  instrumentStore,
  InstrumentedSessionStore,
  mintSessionId,
  resolveAxessOptions,
  SessionStoreError,
  type AxessSessionModuleOptions,
} from '../../src/internal';
import { MetricsProbe } from '../harness/telemetry';

/** The telemetry option, the cookie rejection reasons and the store wrapper, without Valkey or HTTP. */

const base = (): AxessSessionModuleOptions => ({ store: 'memory', encryptionKey: randomBytes(32), signingKey: randomBytes(32) });
const refusal = (options: AxessSessionModuleOptions) => {
  try {
    resolveAxessOptions(options);
    return undefined;
  } catch (error) {
    return error as { name: string; option: string };
  }
};

describe('the telemetry option', () => {
  it('defaults to metrics and traces on, with the global providers', () => {
    expect(resolveAxessOptions(base()).telemetry).toEqual({ metrics: true, traces: true });
  });

  it('keeps the switches and the providers it is given', () => {
    const meterProvider = new MetricsProbe().provider;
    expect(resolveAxessOptions({ ...base(), telemetry: { metrics: false, meterProvider } }).telemetry).toEqual({
      metrics: false,
      traces: true,
      meterProvider,
    });
  });

  it.each<[string, unknown, string]>([
    ['not an object', true, 'telemetry'],
    ['a switch that is not a boolean', { metrics: 'false' }, 'telemetry.metrics'],
    ['a meter provider without getMeter', { meterProvider: {} }, 'telemetry.meterProvider'],
    ['a tracer provider without getTracer', { tracerProvider: { getMeter: () => undefined } }, 'telemetry.tracerProvider'],
  ])('refuses %s, naming the option', (_label, telemetry, option) => {
    expect(refusal({ ...base(), telemetry: telemetry as AxessSessionModuleOptions['telemetry'] })).toMatchObject({
      name: 'AxessOptionsError',
      option,
    });
  });
});

describe('why a cookie value did not verify (CookieSigner.rejection)', () => {
  const signer = new CookieSigner(randomBytes(32));
  const id = mintSessionId();

  it.each([
    ['no dot', 'just-text'],
    ['two dots', `${id}.a.b`],
    ['an id that is not a session id', `short.${randomBytes(32).toString('base64url')}`],
    ['a MAC of the wrong length', `${id}.${randomBytes(16).toString('base64url')}`],
    ['a MAC with padding', `${id}.${randomBytes(32).toString('base64')}`],
    ['an overlong value', `${id}.${'A'.repeat(300)}`],
  ])('%s: malformed', (_label, value) => {
    expect(signer.verify(value)).toBeNull();
    expect(signer.rejection(value)).toBe('malformed');
  });

  it('a well-formed value whose MAC is wrong, or signed with another key: bad-signature', () => {
    for (const value of [`${id}.${randomBytes(32).toString('base64url')}`, new CookieSigner(randomBytes(32)).sign(id)]) {
      expect(signer.verify(value)).toBeNull();
      expect(signer.rejection(value)).toBe('bad-signature');
    }
  });
});

describe('AxessTelemetry and the instrumented store', () => {
  let probe: MetricsProbe;
  beforeEach(() => {
    probe = new MetricsProbe();
  });
  afterEach(() => probe.shutdown());

  it('counts SessionStoreErrors by kind, reason and operation, and nothing else', async () => {
    const telemetry = new AxessTelemetry({ meterProvider: probe.provider, traces: false });
    telemetry.storeError('save', new SessionStoreError('payload-too-large', 'too big'));
    telemetry.storeError('save', new Error('not a store failure'));
    expect(await probe.points(AXESS_METRICS.storeErrors)).toEqual([
      { attributes: { kind: 'payload-too-large', reason: 'payload-too-large', operation: 'save' }, value: 1 },
    ]);
  });

  it('records each call of the wrapped store, passes results and errors through, and keeps its backend', async () => {
    const telemetry = new AxessTelemetry({ meterProvider: probe.provider, traces: false });
    const store = instrumentStore(new InMemorySessionStore({ maxPayloadBytes: 200 }), telemetry);
    expect(store).toBeInstanceOf(InstrumentedSessionStore);
    expect(store.backend).toBe('memory');
    const id = mintSessionId();
    expect(await store.save(id, { data: { a: 1 }, createdAt: 1 }, 60_000)).toBe(true);
    expect((await store.load(id))?.data).toEqual({ a: 1 });
    await expect(store.save(id, { data: { big: 'x'.repeat(500) }, createdAt: 1 }, 60_000)).rejects.toMatchObject({
      kind: 'payload-too-large',
    });

    // Two saves, one of them failed, and one load; the operation is the only attribute.
    expect(await probe.points(AXESS_METRICS.storeDuration)).toEqual([
      { attributes: { operation: 'save' }, value: 2 },
      { attributes: { operation: 'load' }, value: 1 },
    ]);
    expect(await probe.sum(AXESS_METRICS.storeErrors, { kind: 'payload-too-large', operation: 'save' })).toBe(1);
  });

  it('with metrics and traces off, the store is left as it is and nothing is recorded', async () => {
    const telemetry = new AxessTelemetry({ metrics: false, traces: false, meterProvider: probe.provider });
    const bare = new InMemorySessionStore();
    expect(instrumentStore(bare, telemetry)).toBe(bare);
    telemetry.login('admitted');
    expect(await probe.collect()).toEqual([]);
  });
});
