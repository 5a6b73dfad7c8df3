import type { AppInstance } from './apps';
import type { HistoryRecorder, Observation, OpKind, Operation, Outcome } from './history';
import { NoAnswer, openSocket, send, sessionCookieOf, type Answer } from './http-client';
import { sleep, type Prng } from './prng';

/** How hard the simulated devices push. */
export interface WorkloadOptions {
  users: string[];
  devicesPerUser: number;
  /** Pause between a device's requests, ms. */
  thinkMs: [number, number];
  /** A request with no answer after this long is a hang. */
  hangMs: number;
}

/** A device's session: the id the sign-in answer named, and its cookie. */
interface Held {
  id: string;
  cookie: string;
}

/** Every session a device holds now, by id, so that a revoking device can probe its victims. */
class SessionBook {
  readonly byId = new Map<string, { cookie: string; device: Device }>();
  readonly byAgent = new Map<string, Device>();
}

const OPS: Record<Exclude<OpKind, 'sign-in'>, number> = {
  me: 30,
  'note-write': 14,
  'note-read': 14,
  list: 5,
  ws: 8,
  revoke: 5,
  'revoke-others': 3,
  logout: 5,
  'logout-all': 2,
  reauthenticate: 3,
};

/** What an answer body says about whose session it is. */
function observe(body: unknown): Observation | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const observation = { userId: str(b.userId), sessionId: str(b.sessionId), note: str(b.note) };
  return observation.userId || observation.sessionId || observation.note ? observation : undefined;
}

/**
 * A list entry's reference to a session, and whether it is the session id itself: its `id` or
 * `sessionId`, else its `handle`, else the first other string field that is neither address nor agent.
 */
function entryRef(entry: Record<string, unknown>): { ref: string; isId: boolean } | undefined {
  for (const key of ['id', 'sessionId']) if (typeof entry[key] === 'string') return { ref: entry[key], isId: true };
  if (typeof entry.handle === 'string') return { ref: entry.handle, isId: false };
  const skip = new Set(['ip', 'userAgent', 'createdAt', 'lastSeenAt', 'label', 'device']);
  const other = Object.entries(entry).find(([key, value]) => typeof value === 'string' && !skip.has(key));
  return other ? { ref: other[1] as string, isId: false } : undefined;
}

/** One simulated device (a browser of one user): signs in, uses its session, revokes, logs out. */
class Device {
  held?: Held;
  private noteSeq = 0;

  constructor(
    readonly name: string,
    readonly user: string,
    readonly agent: string,
    readonly ip: string,
    private readonly rng: Prng,
    private readonly ctx: Workload,
  ) {}

  async run(): Promise<void> {
    while (!this.ctx.stopped) {
      if (!this.held) await this.signIn();
      else await this.act(this.rng.weighted(OPS));
      await sleep(this.rng.int(...this.ctx.options.thinkMs));
    }
  }

  private drop(): void {
    if (this.held) this.ctx.book.byId.delete(this.held.id);
    this.held = undefined;
  }

  private hold(held: Held): void {
    this.drop();
    this.held = held;
    this.ctx.book.byId.set(held.id, { cookie: held.cookie, device: this });
  }

  private async signIn(): Promise<void> {
    const op = await this.ctx.call(this, 'sign-in', 'POST', '/auth/login', {
      body: { username: this.user, password: `${this.user}-password` },
    });
    if (op.operation.outcome === 'ok' && op.operation.created) this.hold({ id: op.operation.created, cookie: op.cookie! });
    else if (op.operation.outcome !== 'ok') await sleep(this.rng.int(100, 500));
  }

  private async act(kind: Exclude<OpKind, 'sign-in'>): Promise<void> {
    const held = this.held!;
    let result: Called;
    switch (kind) {
      case 'me':
        result = await this.ctx.call(this, kind, 'GET', '/me', { held });
        break;
      case 'note-write': {
        const note = `${this.user}/${this.name}/${++this.noteSeq}`;
        result = await this.ctx.call(this, kind, 'PUT', '/chaos/note', { held, body: { note }, note });
        break;
      }
      case 'note-read':
        result = await this.ctx.call(this, kind, 'GET', '/chaos/note', { held });
        break;
      case 'list':
        result = await this.ctx.call(this, kind, 'GET', '/auth/sessions', { held });
        break;
      case 'ws':
        result = await this.ctx.socket(this, held);
        break;
      case 'revoke':
        return this.revokeOne(held);
      case 'revoke-others':
      case 'logout-all':
        return this.revokeMany(kind, held);
      case 'logout':
        result = await this.ctx.call(this, kind, 'POST', '/auth/logout', { held, body: {}, ends: [held.id] });
        if (result.operation.outcome === 'ok') await this.probe(held.id, held.cookie);
        if (result.operation.outcome !== 'unavailable' && result.operation.outcome !== 'down') this.drop();
        return;
      case 'reauthenticate':
        await this.reauthenticate(held);
        return;
    }
    if (result.operation.outcome === 'refused') this.drop();
  }

  /** Confirms the password: the session gets a new id (and cookie); the old one ends. */
  private async reauthenticate(held: Held): Promise<boolean> {
    const result = await this.ctx.call(this, 'reauthenticate', 'POST', '/auth/reauthenticate', {
      held,
      body: { password: `${this.user}-password` },
      ends: [held.id],
    });
    const { outcome, created } = result.operation;
    if (outcome === 'ok' && created && result.cookie) {
      this.hold({ id: created, cookie: result.cookie });
      await this.probe(held.id, held.cookie);
      return true;
    }
    if (outcome === 'refused') this.drop();
    return false;
  }

  /** Lists the sessions and revokes one of another device. */
  private async revokeOne(held: Held): Promise<void> {
    const listed = await this.ctx.call(this, 'list', 'GET', '/auth/sessions', { held });
    if (listed.operation.outcome === 'refused') return this.drop();
    if (listed.operation.outcome !== 'ok' || !Array.isArray(listed.answer?.body)) return;
    const others = (listed.answer.body as Array<Record<string, unknown>>).filter((e) => e.current !== true);
    if (others.length === 0) return;
    const entry = this.rng.pick(others);
    const found = entryRef(entry);
    if (!found) return;
    const { ref } = found;
    // The session behind the reference: itself when the list shows ids, else the device its agent
    // names (unknown when that device holds no session now, or when the list shows several
    // sessions with its agent, e.g. one a sign-in answered 503 left behind: the checker then
    // assumes any). The current entry counts too: a session left behind by this device's own
    // sign-in carries its agent, and is not the session this device holds.
    const agent = typeof entry.userAgent === 'string' ? entry.userAgent : undefined;
    const sameAgent = (listed.answer.body as Array<Record<string, unknown>>).filter((e) => e.userAgent === agent).length;
    const target = found.isId ? ref : agent !== undefined && sameAgent === 1 ? this.ctx.book.byAgent.get(agent)?.held?.id : undefined;
    const cookie = target ? this.ctx.book.byId.get(target)?.cookie : undefined;
    const attempt = () =>
      this.ctx.call(this, 'revoke', 'DELETE', `/auth/sessions/${encodeURIComponent(ref)}`, {
        held: this.held!,
        body: {},
        ends: target ? [target] : undefined,
      });
    let result = await attempt();
    if (result.reauthenticationRequired && (await this.reauthenticate(held))) result = await attempt();
    if (result.operation.outcome === 'refused') this.drop();
    if (result.operation.outcome === 'ok' && target && cookie) await this.probe(target, cookie);
  }

  /** Revoke-others or logout-all (both may need a fresh authentication first), then probes the ended sessions. */
  private async revokeMany(kind: 'revoke-others' | 'logout-all', held: Held): Promise<void> {
    const path = kind === 'revoke-others' ? '/auth/sessions/revoke-others' : '/auth/logout-all';
    const victims = () =>
      [...this.ctx.book.byId].filter(([id, s]) => s.device.user === this.user && (kind === 'logout-all' || id !== this.held?.id));
    let before = victims();
    let result = await this.ctx.call(this, kind, 'POST', path, { held, body: {} });
    if (result.reauthenticationRequired && (await this.reauthenticate(held))) {
      before = victims();
      result = await this.ctx.call(this, kind, 'POST', path, { held: this.held!, body: {} });
    }
    if (result.operation.outcome === 'refused') return this.drop();
    if (result.operation.outcome !== 'ok') return;
    for (const [id, s] of before) await this.probe(id, s.cookie);
    if (kind === 'logout-all') this.drop();
  }

  /** A request on a session whose end was just acknowledged, on a random instance: it must be refused. */
  private async probe(id: string, cookie: string): Promise<void> {
    await this.ctx.call(this, 'me', 'GET', '/me', { held: { id, cookie } });
  }
}

interface Called {
  operation: Operation;
  answer?: Answer;
  cookie?: string;
  reauthenticationRequired: boolean;
}

/** The simulated devices, the instances they talk to, and the history they write. */
export class Workload {
  stopped = false;
  readonly book = new SessionBook();
  private readonly devices: Device[] = [];
  private running: Promise<void>[] = [];

  constructor(
    readonly options: WorkloadOptions,
    private readonly instances: AppInstance[],
    private readonly history: HistoryRecorder,
    private readonly rng: Prng,
  ) {
    let n = 0;
    for (const user of options.users) {
      for (let d = 0; d < options.devicesPerUser; d++, n++) {
        const device = new Device(`${user}-${d}`, user, `chaos-device-${user}-${d}`, `10.0.${n >> 8}.${n & 255}`, rng.fork(), this);
        this.devices.push(device);
        this.book.byAgent.set(device.agent, device);
      }
    }
  }

  start(): void {
    this.running = this.devices.map((d) => d.run());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.running);
  }

  /** An instance to send to: any that is up (an instance being restarted takes no new requests, as behind a load balancer). */
  private pickInstance(): AppInstance {
    const up = this.instances.filter((i) => i.up);
    return this.rng.pick(up.length > 0 ? up : this.instances);
  }

  async call(
    device: Device,
    op: OpKind,
    method: string,
    path: string,
    options: { held?: Held; body?: unknown; ends?: string[]; note?: string },
  ): Promise<Called> {
    const instance = this.pickInstance();
    const start = this.history.now();
    let answer: Answer | undefined;
    let failure: string | undefined;
    try {
      answer = await send(instance.url, method, path, {
        cookie: options.held?.cookie,
        body: options.body,
        headers: { 'user-agent': device.agent, 'x-forwarded-for': device.ip },
        timeoutMs: this.options.hangMs,
      });
    } catch (error) {
      failure = error instanceof NoAnswer ? error.code : String(error);
    }
    const end = this.history.now();
    const body = answer?.body as Record<string, unknown> | undefined;
    const reauthenticationRequired = answer?.status === 401 && body?.reason === 'reauthentication-required';
    let outcome = this.classify(instance, start, end, answer?.status, failure);
    if (reauthenticationRequired) outcome = 'denied';
    const observed = answer && answer.status < 300 ? observe(answer.body) : undefined;
    const cookie = answer ? sessionCookieOf(answer) : undefined;
    const created =
      outcome === 'ok' && (op === 'sign-in' || op === 'reauthenticate')
        ? (observed?.sessionId ?? cookie?.split('=')[1]?.split('.')[0])
        : undefined;
    const operation = this.history.record({
      client: device.name,
      user: device.user,
      instance: instance.spec.name,
      op,
      session: options.held?.id,
      start,
      end,
      status: answer?.status,
      outcome,
      observed,
      created,
      ends: options.ends,
      note: options.note,
      // Why a session was refused (the gone-marker's reason, when the answer names one), or why it failed.
      detail:
        failure ??
        (outcome === 'error' ? JSON.stringify(answer?.body)?.slice(0, 200) : typeof body?.reason === 'string' ? body.reason : undefined),
    });
    return { operation, answer, cookie, reauthenticationRequired };
  }

  async socket(device: Device, held: Held): Promise<Called> {
    const instance = this.pickInstance();
    const start = this.history.now();
    let outcome: Outcome;
    let observed: Observation | undefined;
    let status: number | undefined;
    let detail: string | undefined;
    try {
      const answer = await openSocket(instance.url, held.cookie, this.options.hangMs);
      if (answer.opened) {
        observed = observe(answer.first);
        outcome = observed?.userId ? 'ok' : 'error';
        detail = outcome === 'error' ? JSON.stringify(answer.first) : undefined;
      } else if (answer.closeCode !== undefined) {
        outcome = answer.closeCode === 4001 ? 'refused' : 'error';
        detail = `closed ${answer.closeCode}`;
      } else {
        status = answer.status;
        outcome = this.classify(instance, start, this.history.now(), answer.status, undefined);
      }
    } catch (error) {
      detail = error instanceof NoAnswer ? error.code : String(error);
      outcome = this.classify(instance, start, this.history.now(), undefined, detail);
    }
    const operation = this.history.record({
      client: device.name,
      user: device.user,
      instance: instance.spec.name,
      op: 'ws',
      session: held.id,
      start,
      end: this.history.now(),
      status,
      outcome,
      observed,
      detail,
    });
    return { operation, reauthenticationRequired: false };
  }

  private classify(instance: AppInstance, start: number, end: number, status: number | undefined, failure: string | undefined): Outcome {
    if (status === undefined) {
      if (instance.wasDown(start, end) || !instance.up) return 'down';
      return failure === 'timeout' ? 'timeout' : 'error';
    }
    if (status >= 200 && status < 300) return 'ok';
    // 409: a concurrent re-authentication of the same session rotated it first.
    if (status === 401 || status === 409) return 'refused';
    if (status === 404 || status === 429) return 'denied';
    if (status === 503) return 'unavailable';
    return 'error';
  }
}
