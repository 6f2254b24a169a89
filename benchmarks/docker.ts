// Benchmark of the docker target on the real engine. Prints figures; it asserts nothing.
//   - wall-clock time of a cold `up`, a no-op `preview`, a no-op `up`, an `up` after a one-line change;
//   - size of the layers the Dockerfile adds on top of the base image;
//   - throughput and p99 latency of the app (gunicorn) against the Flask development server
//     running the same image at the same CPU and memory limits, both under the same load.
// Run it through scripts/benchmark.sh, which provides the test bed; `--write` updates BENCHMARKS.md.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

import {
    ProjectCopy,
    docker,
    freePort,
    httpGet,
    newStack,
    configureStack,
    testBed,
} from "../test/e2e/harness";

interface LoadResult {
    requests: number;
    seconds: number;
    p50: number;
    p99: number;
    errors: number;
}

/** Closed-loop load: `concurrency` clients each sending GETs back to back for `seconds`. */
async function load(url: string, concurrency: number, seconds: number): Promise<LoadResult> {
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
    await Promise.all(Array.from({ length: concurrency }, client));
    const elapsed = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const at = (q: number) =>
        latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
    return { requests: latencies.length, seconds: elapsed, p50: at(0.5), p99: at(0.99), errors };
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
    const start = performance.now();
    const result = await work();
    return [result, (performance.now() - start) / 1000];
}

function mib(bytes: number): string {
    return (bytes / 2 ** 20).toFixed(1);
}

async function main() {
    const bed = testBed();
    const write = process.argv.includes("--write");
    const concurrency = 16;
    const loadSeconds = 15;
    const project = new ProjectCopy("flaskapp-bench");
    const stack = await newStack(project, "bench");
    const rows: string[] = [];
    try {
        const hostPort = await freePort();
        const repository = `bench/flask-app-${crypto.randomBytes(3).toString("hex")}`;
        await configureStack(stack, bed, repository, { target: "docker", hostPort });

        const [, coldUp] = await timed(() => stack.up());
        const [, noopPreview] = await timed(() => stack.preview());
        const [, noopUp] = await timed(() => stack.up());
        project.editApp(
            "flask_app/__init__.py",
            '"Hello from Flask!"',
            '"Hello from the benchmark!"',
        );
        const [changed, changeUp] = await timed(() => stack.up());
        rows.push(
            "| operation | seconds |",
            "| --- | ---: |",
            `| cold \`up\` (build, push, run) | ${coldUp.toFixed(1)} |`,
            `| no-op \`preview\` | ${noopPreview.toFixed(1)} |`,
            `| no-op \`up\` | ${noopUp.toFixed(1)} |`,
            `| \`up\` after a one-line app change | ${changeUp.toFixed(1)} |`,
            "",
        );

        const imageRef: string = changed.outputs.imageRef.value;
        const url: string = changed.outputs.url.value;
        const base = bed.baseImage ?? "(the Dockerfile's default base image)";
        const imageBytes = Number(docker("image", "inspect", "--format", "{{.Size}}", imageRef));
        const baseBytes = bed.baseImage
            ? Number(docker("image", "inspect", "--format", "{{.Size}}", bed.baseImage))
            : NaN;
        const history = docker(
            "history",
            "--no-trunc",
            "--format",
            "{{.Size}}\t{{.CreatedBy}}",
            imageRef,
        )
            .split("\n")
            .map((line) => line.split("\t"))
            .filter(([size]) => size !== "0B");
        rows.push(
            `Image on top of \`${base}\`: ${mib(imageBytes)} MiB in all, ${mib(baseBytes)} MiB of base, ` +
                `**${mib(imageBytes - baseBytes)} MiB added**. Non-empty layers, newest first:`,
            "",
            "| size | layer |",
            "| ---: | --- |",
            ...history.map(
                ([size, by]) =>
                    `| ${size} | \`${by.replace(/\s+/g, " ").slice(0, 90).replace(/\|/g, "\\|")}\` |`,
            ),
            "",
        );

        // The baseline: the same image and limits, serving through Flask's development server.
        const devPort = await freePort();
        const dev = docker(
            "run",
            "--detach",
            "--rm",
            "--cpus",
            "0.5",
            "--memory",
            "256m",
            "--read-only",
            "--publish",
            `127.0.0.1:${devPort}:8000`,
            imageRef,
            "flask",
            "--app",
            "flask_app:create_app",
            "run",
            "--host",
            "0.0.0.0",
            "--port",
            "8000",
        );
        try {
            await httpGet(`http://127.0.0.1:${devPort}/`);
            await load(url + "/", concurrency, 3); // warm-up, not counted
            const app = await load(url + "/", concurrency, loadSeconds);
            await load(`http://127.0.0.1:${devPort}/`, concurrency, 3);
            const baseline = await load(`http://127.0.0.1:${devPort}/`, concurrency, loadSeconds);
            const rps = (r: LoadResult) => r.requests / r.seconds;
            rows.push(
                `Load: ${concurrency} keep-alive clients on loopback for ${loadSeconds} s against \`GET /\`, ` +
                    "both containers limited to 0.5 CPU and 256 MiB.",
                "",
                "| server | requests/s | p50 ms | p99 ms | errors |",
                "| --- | ---: | ---: | ---: | ---: |",
                `| gunicorn, 2 workers (the image's default) | ${rps(app).toFixed(0)} | ${app.p50.toFixed(1)} | ${app.p99.toFixed(1)} | ${app.errors} |`,
                `| Flask development server (baseline) | ${rps(baseline).toFixed(0)} | ${baseline.p50.toFixed(1)} | ${baseline.p99.toFixed(1)} | ${baseline.errors} |`,
                `| ratio gunicorn / baseline | ${(rps(app) / rps(baseline)).toFixed(2)}× | | ${(app.p99 / baseline.p99).toFixed(2)}× | |`,
                "",
            );
        } finally {
            docker("rm", "--force", dev);
        }
    } finally {
        await stack.destroy();
        await stack.workspace.removeStack(stack.name);
        project.remove();
    }

    const report = rows.join("\n");
    console.log(report);
    if (write) {
        const file = path.resolve(__dirname, "..", "BENCHMARKS.md");
        const text = fs.readFileSync(file, "utf8");
        const begin = "<!-- docker:begin -->";
        const end = "<!-- docker:end -->";
        const updated = text.replace(
            new RegExp(`${begin}[\\s\\S]*${end}`),
            `${begin}\n${report}\n${end}`,
        );
        fs.writeFileSync(file, updated);
    }
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
