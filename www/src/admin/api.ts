// The admin API (/v1, same origin) as typed calls. Every refusal becomes an
// `ApiError` carrying the server's `{error: {code, message, holders?}}`, so a
// view can show the server's own words next to the control that asked.

import type {
  AccountSummary,
  AccountView,
  DirectoryView,
  Explanation,
  FeatureSeats,
  LicenceView,
  LogEntry,
  Scenario,
  Setting,
} from "../../../js/src/types.js";
import type { CappedAccount, Page } from "../../../js/src/engine.js";
import type { Role } from "../../../js/src/server/auth.js";

// The answers' shapes are the package's (generated from the Rust core by ts-rs): the
// server answers exactly what the Engine returns. Only the answers app.ts shapes
// itself are declared here.
export type {
  AccountFeature,
  AccountSummary,
  AccountView,
  DirectoryView,
  DomainView,
  Explanation,
  FeatureSeats,
  Holder,
  Licence,
  LogEntry,
  Policy,
  Scenario,
  SeatView,
  Setting,
  Via,
} from "../../../js/src/types.js";
export type { CappedAccount, Page } from "../../../js/src/engine.js";
export type { Role } from "../../../js/src/server/auth.js";

/** A node's own settings, by feature. */
export type Settings = Record<string, Setting>;

export type LogChange = LogEntry["changes"][number];
export type LogSeatChange = LogEntry["seats"][number];

/** `GET /v1/licence`: the engine's view plus the signature verdict. */
export type LicenceStatus = LicenceView & { signature: "verified" | "unsigned" };
/** `PUT /v1/licence`, accepted. */
export interface LicenceUploaded {
  ok: true;
  signedBy: string | null;
  signature: "verified" | "unsigned";
}

/** `GET /v1/seats`: one entry per licensed feature, without the holders. */
export type FeatureUsage = Omit<FeatureSeats, "holders"> & { used: number };
/** `GET /v1/seats/:feature`: `used` counts every holder; a domain administrator's `holders` are its own domain's only. */
export type FeatureSeatsAnswer = FeatureSeats & { used: number };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly holders?: string[],
  ) {
    super(message);
  }
}

/** What `/v1/health` says: a seatcap server answers JSON `{status: "ok"}`; static hosting answers anything else. */
export async function health(
  signal?: AbortSignal,
): Promise<{ ok: true; version: string | null } | { ok: false; why: string }> {
  try {
    const res = await fetch("/v1/health", {
      headers: { accept: "application/json" },
      ...(signal ? { signal } : {}),
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return {
        ok: false,
        why: `/v1/health answered ${res.status} with something that is not JSON`,
      };
    }
    if (
      res.ok &&
      body &&
      typeof body === "object" &&
      (body as { status?: unknown }).status === "ok"
    ) {
      return { ok: true, version: (body as { version?: string | null }).version ?? null };
    }
    return { ok: false, why: `/v1/health answered ${res.status}` };
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    return { ok: false, why: `/v1/health is unreachable (${(e as Error).message})` };
  }
}

export class Api {
  constructor(private readonly token: string) {}

  async call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.token}`,
      accept: "application/json",
    };
    let payload: string | undefined;
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      payload = typeof body === "string" ? body : JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers,
        ...(payload === undefined ? {} : { body: payload }),
        ...(signal ? { signal } : {}),
      });
    } catch (e) {
      if ((e as Error).name === "AbortError") throw e;
      throw new ApiError(0, "network", `the server did not answer (${(e as Error).message})`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new ApiError(
        res.status,
        "not-json",
        `${method} ${path} answered ${res.status} with something that is not JSON`,
      );
    }
    if (!res.ok) {
      const error = (
        json as { error?: { code?: string; message?: string; holders?: string[] } } | undefined
      )?.error;
      throw new ApiError(
        res.status,
        error?.code ?? `http-${res.status}`,
        error?.message ?? `${method} ${path} answered ${res.status}`,
        error?.holders,
      );
    }
    return json as T;
  }

  get<T>(path: string, signal?: AbortSignal): Promise<T> {
    return this.call<T>("GET", path, undefined, signal);
  }

  whoami(signal?: AbortSignal): Promise<Role> {
    return this.get("/v1/whoami", signal);
  }
  directory(signal?: AbortSignal): Promise<DirectoryView> {
    return this.get("/v1/directory", signal);
  }
  accounts(
    domain: string,
    options: { after?: string; limit?: number } = {},
    signal?: AbortSignal,
  ): Promise<Page<AccountSummary>> {
    return this.get(
      `/v1/domains/${enc(domain)}/accounts${query({ after: options.after, limit: options.limit })}`,
      signal,
    );
  }
  account(id: string, signal?: AbortSignal): Promise<AccountView> {
    return this.get(`/v1/accounts/${enc(id)}`, signal);
  }
  explain(account: string, feature: string, signal?: AbortSignal): Promise<Explanation> {
    return this.get(`/v1/explain${query({ account, feature })}`, signal);
  }
  setSetting(node: string, feature: string, value: Setting): Promise<{ ok: true }> {
    return this.call("PUT", "/v1/settings", { node, feature, value });
  }
  licence(signal?: AbortSignal): Promise<LicenceStatus> {
    return this.get("/v1/licence", signal);
  }
  /** Sends the licence file's text as it is: the server judges it (JSON, fields, signature). */
  uploadLicence(text: string): Promise<LicenceUploaded> {
    return this.call("PUT", "/v1/licence", text);
  }
  seats(signal?: AbortSignal): Promise<{ features: FeatureUsage[] }> {
    return this.get("/v1/seats", signal);
  }
  featureSeats(feature: string, signal?: AbortSignal): Promise<FeatureSeatsAnswer> {
    return this.get(`/v1/seats/${enc(feature)}`, signal);
  }
  capped(
    feature: string,
    options: { after?: string; limit?: number } = {},
    signal?: AbortSignal,
  ): Promise<Page<CappedAccount>> {
    return this.get(
      `/v1/seats/${enc(feature)}/capped${query({ after: options.after, limit: options.limit })}`,
      signal,
    );
  }
  waitlist(
    feature: string,
    options: { offset?: number; limit?: number } = {},
    signal?: AbortSignal,
  ): Promise<Page<string>> {
    return this.get(
      `/v1/seats/${enc(feature)}/waitlist${query({ offset: options.offset, limit: options.limit })}`,
      signal,
    );
  }
  restoreCapped(feature: string): Promise<{ ok: true }> {
    return this.call("POST", `/v1/seats/${enc(feature)}/restore-capped`);
  }
  log(
    options: { after?: string; limit?: number } = {},
    signal?: AbortSignal,
  ): Promise<Page<LogEntry>> {
    return this.get(`/v1/log${query({ after: options.after, limit: options.limit })}`, signal);
  }
  exportScenario(signal?: AbortSignal): Promise<Scenario> {
    return this.get("/v1/export", signal);
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}
