// Benchmark of the app image on the test bed's real Docker Engine and registry. Prints figures
// as Markdown and asserts nothing:
//   - build times: from scratch, again with nothing changed, after a one-line app change;
//   - push times: first push, push after the one-line change (only the app's layer is new);
//   - the size of the layers the Dockerfile adds on top of the base image;
//   - throughput and latency of the app under its server (granian, app/server.py) against the
//     Flask development server (the baseline), same image, same CPU and memory limits, same load
//     generator. scripts/benchmark-server.sh measures the servers themselves with `wrk`.
// Run it with `scripts/benchmark.sh`; `--write` puts the figures in BENCHMARKS.md.
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";

import { buildAppImage, docker, runHardened } from "../tools/testbed/docker";
import { freePort, httpGet } from "../tools/testbed/http";
import { ProjectCopy } from "../tools/testbed/project";
import { testBed } from "../tools/testbed/testBed";
import { report } from "./report";

interface LoadResult {
    rps: number;
    p50: number;
    p99: number;
    errors: number;
}

/** Closed-loop load: `clients` connections each sending GETs back to back for `seconds`. */
async function load(url: string, clients: number, seconds: number): Promise<LoadResult> {
    const latencies: number[] = [];
    let errors = 0;
    const deadline = performance.now() + seconds * 1000;
    const client = async () => {
        while (performance.now() < deadline) {
            const start = performance.now();
            try {
                const response = await fetch(url);
                await response.arrayBuffer();
                if (response.ok) latencies.push(performance.now() - start);
                else errors++;
            } catch {
                errors++;
            }
        }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: clients }, client));
    const elapsed = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const at = (q: number) =>
        latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
    return { rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), errors };
}

function seconds(work: () => void): number {
    const start = performance.now();
    work();
    return (performance.now() - start) / 1000;
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const imageSize = (ref: string) => Number(docker("image", "inspect", "--format", "{{.Size}}", ref));

async function main() {
    const bed = testBed();
    const clients = 16;
    const loadSeconds = 15;
    const project = new ProjectCopy("flaskapp-bench");
    const appDir = path.join(project.dir, "app");
    const image = `${bed.registry}/bench/flask-app-${crypto.randomBytes(3).toString("hex")}`;
    const dockerConfig = fs.mkdtempSync(path.join(os.tmpdir(), "flaskapp-bench-docker-"));
    const env = { ...process.env, DOCKER_CONFIG: dockerConfig };
    const push = (ref: string) =>
        execFileSync("docker", ["push", "--quiet", ref], { env, stdio: "ignore" });
    const containers: string[] = [];
    const out: string[] = [];
    try {
        execFileSync(
            "docker",
            ["login", "--username", bed.username, "--password-stdin", bed.registry],
            { env, input: bed.password, stdio: ["pipe", "ignore", "pipe"] },
        );
        const cold = seconds(() => buildAppImage(bed, appDir, `${image}:v1`, "--no-cache"));
        const noop = seconds(() => buildAppImage(bed, appDir, `${image}:v1`));
        const firstPush = seconds(() => push(`${image}:v1`));
        project.editApp(
            "flask_app/__init__.py",
            '"Hello from Flask!"',
            '"Hello from the benchmark!"',
        );
        const changed = seconds(() => buildAppImage(bed, appDir, `${image}:v2`));
        const changedPush = seconds(() => push(`${image}:v2`));
        out.push(
            "| step | seconds | against the cold build |",
            "| --- | ---: | ---: |",
            `| build from scratch (\`--no-cache\`) | ${cold.toFixed(1)} | 1.00 |`,
            `| build again, nothing changed | ${noop.toFixed(1)} | ${(noop / cold).toFixed(2)} |`,
            `| build after a one-line app change | ${changed.toFixed(1)} | ${(changed / cold).toFixed(2)} |`,
            `| first push to the registry | ${firstPush.toFixed(1)} | |`,
            `| push after the one-line change | ${changedPush.toFixed(1)} | |`,
            "",
        );

        const base = bed.baseImage ?? "python (the Dockerfile's default)";
        const added = imageSize(`${image}:v2`) - (bed.baseImage ? imageSize(bed.baseImage) : 0);
        const history = (ref: string) =>
            docker("history", "--no-trunc", "--format", "{{json .}}", ref)
                .split("\n")
                .map((line) => JSON.parse(line) as { Size: string; CreatedBy: string });
        // History is newest first: the base image's entries are the last ones.
        const ownCount =
            history(`${image}:v2`).length - (bed.baseImage ? history(bed.baseImage).length : 0);
        const layers = history(`${image}:v2`)
            .slice(0, ownCount)
            .filter((layer) => layer.Size !== "0B")
            .map((layer) => [layer.Size, layer.CreatedBy]);
        const shorten = (by: string) => by.replace(/\s+/g, " ").slice(0, 80).replace(/\|/g, "\\|");
        out.push(
            `Layers added on top of \`${base}\`: **${mib(added)} MiB**. Non-empty layers, newest first:`,
            "",
            "| size | created by |",
            "| ---: | --- |",
            ...layers.map(([size, by]) => `| ${size} | \`${shorten(by)}\` |`),
            "",
        );

        const appName = `flaskapp-bench-${crypto.randomBytes(3).toString("hex")}`;
        containers.push(appName);
        const appUrl = await runHardened(`${image}:v2`, appName, await freePort());
        const devPort = await freePort();
        const devName = `${appName}-devserver`;
        containers.push(devName);
        // The baseline: the same image and limits, serving through Flask's development server.
        docker(
            ...["run", "--detach", "--name", devName, "--cpus", "0.5", "--memory", "256m"],
            ...["--read-only", "--publish", `127.0.0.1:${devPort}:8000`, `${image}:v2`],
            ...[
                "flask",
                "--app",
                "flask_app:create_app",
                "run",
                "--host",
                "0.0.0.0",
                "--port",
                "8000",
            ],
        );
        const devUrl = `http://127.0.0.1:${devPort}`;
        await httpGet(devUrl + "/");

        await load(appUrl + "/", clients, 3); // warm-up, not counted
        const app = await load(appUrl + "/", clients, loadSeconds);
        await load(devUrl + "/", clients, 3);
        const dev = await load(devUrl + "/", clients, loadSeconds);
        const row = (label: string, r: LoadResult) =>
            `| ${label} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} |`;
        const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
        out.push(
            `Load: ${clients} keep-alive clients on loopback for ${loadSeconds} s each against ` +
                "`GET /`; both containers limited to 0.5 CPU and 256 MiB.",
            "",
            "| server | requests/s | p50 ms | p99 ms | errors |",
            "| --- | ---: | ---: | ---: | ---: |",
            row("granian, 2 workers × 4 threads (the image's command)", app),
            row("Flask development server (baseline)", dev),
            `| granian / baseline | ${ratio(app.rps, dev.rps)} | ${ratio(app.p50, dev.p50)} | ${ratio(app.p99, dev.p99)} | |`,
            "",
        );
    } finally {
        for (const name of containers) docker("rm", "--force", name);
        project.remove();
        fs.rmSync(dockerConfig, { recursive: true, force: true });
    }

    report("image", out.join("\n"));
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
