// The app over HTTP from the test bed's host: a port to publish it on, and requests to it.
import { setTimeout as sleep } from "timers/promises";

/** GET `url`, retried while the app starts; returns status and body. */
export async function httpGet(
    url: string,
    attempts = 30,
): Promise<{ status: number; body: string }> {
    let lastError: unknown;
    for (let i = 0; i < attempts; i++) {
        try {
            const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
            return { status: response.status, body: await response.text() };
        } catch (err) {
            lastError = err;
            await sleep(1000);
        }
    }
    throw new Error(`GET ${url} failed ${attempts} times: ${String(lastError)}`);
}

/** A TCP port that nothing listens on right now. */
export async function freePort(): Promise<number> {
    const net = await import("net");
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as { port: number };
            server.close(() => resolve(port));
        });
    });
}
