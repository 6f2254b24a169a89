// A bounded load generator for the rollout measurements, in a child Node.js process (so that the
// test's own event loop does not skew the latencies), until told to stop, a deadline passes or a
// request budget is spent. Two shapes:
// - closed loop: a few clients, each sending GETs one after another as fast as answers come, which
//   saturates the app: the shape that finds failed requests;
// - open loop: GETs sent at a fixed rate whatever the answers, as real clients arrive. Each
//   latency counts from the moment the request was due, so a stall is charged to every request it
//   delayed rather than hidden by a client that waited (no coordinated omission).
import { spawn } from "child_process";

/**
 * One request: when it started (epoch ms; in the open loop, when it was due), how long it took
 * (ms, from `at`), and what went wrong, if anything. In the open loop, `late` is how long after
 * `at` the generator got to send it (ms): the generator's own share of `ms`.
 */
export interface Sample {
    at: number;
    ms: number;
    late?: number;
    error?: string;
}

export interface LoadOptions {
    /** Closed loop: clients sending at once. */
    concurrency?: number;
    /** Open loop: requests per second, sent on schedule; `concurrency` is then unused. */
    rate?: number;
    /** The load stops by itself after this many seconds. */
    maxSeconds?: number;
    /** ... or after this many requests. */
    maxRequests?: number;
    /**
     * Keep-alive (default): each closed-loop client holds one connection; the open loop reuses a
     * small pool. Otherwise every request opens its own connection.
     */
    keepAlive?: boolean;
}

// Runs in the child: argv is url, concurrency, rate, maxSeconds, maxRequests, keepAlive. Closing
// its stdin stops it. Node's http module, so that what a client does with its connections is
// explicit.
const client = `
const http = require("http");
const { setTimeout: sleep } = require("timers/promises");
const [url, concurrency, rate, maxSeconds, maxRequests, keepAlive] = process.argv.slice(1);
const deadline = Date.now() + Number(maxSeconds) * 1000;
const samples = [];
let stopped = false;
process.stdin.on("end", () => { stopped = true; });
process.stdin.resume();
function get(agent) {
    return new Promise((resolve) => {
        const request = http.get(url, { agent, timeout: 5000 }, (response) => {
            response.resume();
            response.on("end", () => resolve(response.statusCode === 200 ? undefined : "HTTP " + response.statusCode));
            response.on("error", (err) => resolve(err.code ?? err.message));
        });
        request.on("timeout", () => request.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
        request.on("error", (err) => resolve(err.code ?? err.message));
    });
}
const going = (sent) => !stopped && Date.now() < deadline && sent < Number(maxRequests);
function record(at, t0, error, late) {
    const sample = { at, ms: performance.now() - t0 };
    if (late !== undefined) sample.late = late;
    if (error !== undefined) sample.error = error;
    samples.push(sample);
}
async function closedLoop() {
    const agent = keepAlive === "true" ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : false;
    while (going(samples.length)) {
        const at = Date.now();
        const t0 = performance.now();
        record(at, t0, await get(agent));
    }
}
async function openLoop() {
    // A pool large enough that requests held up by a stall do not then queue for a socket.
    const agent = keepAlive === "true" ? new http.Agent({ keepAlive: true, maxSockets: 64 }) : false;
    const interval = 1000 / Number(rate);
    const t0 = performance.now();
    const epoch = Date.now();
    const inFlight = new Set();
    for (let sent = 0; going(sent); sent++) {
        const due = t0 + sent * interval;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        const late = performance.now() - due;
        const request = get(agent).then((error) => record(epoch + (due - t0), due, error, late));
        inFlight.add(request);
        request.then(() => inFlight.delete(request));
    }
    await Promise.all(inFlight);
}
const runs = Number(rate) > 0 ? [openLoop()] : Array.from({ length: Number(concurrency) }, closedLoop);
Promise.all(runs).then(() => {
    // Exit once the pipe has taken all of it: an exit straight after write() truncates it.
    process.stdout.write(JSON.stringify(samples), () => process.exit(0));
});
`;

/** Starts the load on `url`; `stop()` ends it and returns every sample. */
export function startLoad(
    url: string,
    {
        concurrency = 4,
        rate = 0,
        maxSeconds = 600,
        maxRequests = 400_000,
        keepAlive = true,
    }: LoadOptions = {},
): { stop(): Promise<Sample[]> } {
    const child = spawn(
        process.execPath,
        [
            "-e",
            client,
            url,
            String(concurrency),
            String(rate),
            String(maxSeconds),
            String(maxRequests),
            String(keepAlive),
        ],
        { stdio: ["pipe", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    const done = new Promise<Sample[]>((resolve, reject) => {
        child.on("error", reject);
        child.on("close", (code) =>
            code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load client exited ${code}`)),
        );
    });
    return {
        stop() {
            child.stdin.end();
            return done;
        },
    };
}

export interface LoadSummary {
    requests: number;
    failures: number;
    /** Failures by kind, e.g. `{ ECONNREFUSED: 3 }`. */
    errors: Record<string, number>;
    p50: number;
    p99: number;
    /** Open loop: p99 of how late the generator sent (ms), its own share of the latencies. */
    lateP99?: number;
    max: number;
    /** The longest time (ms) between two successful answers: the downtime the clients saw. */
    longestGap: number;
}

/** Figures over the samples that started within [from, to). */
export function summarize(samples: Sample[], from = -Infinity, to = Infinity): LoadSummary {
    const picked = samples.filter((s) => s.at >= from && s.at < to).sort((a, b) => a.at - b.at);
    const ok = picked.filter((s) => s.error === undefined);
    const quantile = (values: number[], q: number) =>
        values.length === 0
            ? NaN
            : values[Math.min(values.length - 1, Math.floor(q * values.length))];
    const latencies = ok.map((s) => s.ms).sort((a, b) => a - b);
    const lateness = picked
        .flatMap((s) => (s.late === undefined ? [] : [s.late]))
        .sort((a, b) => a - b);
    const errors: Record<string, number> = {};
    for (const s of picked) if (s.error !== undefined) errors[s.error] = (errors[s.error] ?? 0) + 1;
    const completions = ok.map((s) => s.at + s.ms).sort((a, b) => a - b);
    let longestGap = 0;
    for (let i = 1; i < completions.length; i++) {
        longestGap = Math.max(longestGap, completions[i] - completions[i - 1]);
    }
    return {
        requests: picked.length,
        failures: picked.length - ok.length,
        errors,
        p50: quantile(latencies, 0.5),
        p99: quantile(latencies, 0.99),
        lateP99: lateness.length > 0 ? quantile(lateness, 0.99) : undefined,
        max: latencies[latencies.length - 1] ?? NaN,
        longestGap,
    };
}

/** One line of figures, for the suite's output and BENCHMARKS.md. */
export function describeLoad(label: string, s: LoadSummary): string {
    const ms = (n: number) => `${n.toFixed(1)} ms`;
    const errors = Object.entries(s.errors)
        .map(([k, n]) => `${k} ×${n}`)
        .join(", ");
    return (
        `${label}: ${s.requests} requests, ${s.failures} failed${errors ? ` (${errors})` : ""}, ` +
        `p50 ${ms(s.p50)}, p99 ${ms(s.p99)}, max ${ms(s.max)}, longest gap ${ms(s.longestGap)}` +
        (s.lateP99 === undefined ? "" : `, sent late p99 ${ms(s.lateP99)}`)
    );
}
