// This checkout served as a git repository over HTTPS on loopback, so that a suite can add the
// component package from a git URL as users add it from GitHub. Pulumi's CLI (3.259) clones with
// go-git over HTTPS only: a `git://` URL is fetched over HTTPS too, `http://` and `file://` are
// refused, and `url.<base>.insteadOf` is not read. It also records the source in Pulumi.yaml
// without its scheme, where a port after the host no longer parses: the server listens on
// 127.0.0.1:443, with a throwaway certificate that the CLI trusts through SSL_CERT_DIR.
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { execFileSync, spawn } from "child_process";
import { AddressInfo } from "net";

export interface GitServer {
    /** The repository's URL, `https://127.0.0.1/<repository>`, with a port only when not 443. */
    readonly url: string;
    /** Environment that makes a Go program, such as the Pulumi CLI, trust the server. */
    readonly env: { readonly SSL_CERT_DIR: string };
    /** The server's certificate (PEM), for clients that take a file, e.g. git with `GIT_SSL_CAINFO`. */
    readonly certificate: string;
    /** The commit that the branch `main` and the tag point at. */
    readonly commit: string;
    /** Stops the server and removes the repository and the certificate. */
    close(): Promise<void>;
}

export interface GitServerOptions {
    /** The checkout whose files are served. */
    readonly checkout: string;
    /** The repository's path on the server, `owner/name.git`. */
    readonly repository: string;
    /** The tag of the served commit, e.g. `v0.1.0`. */
    readonly tag: string;
    /** Port on 127.0.0.1. Default `443`, the only one a source in Pulumi.yaml can name. */
    readonly port?: number;
}

const git = (cwd: string, args: string[], env: NodeJS.ProcessEnv = process.env) =>
    execFileSync("git", args, {
        cwd,
        env,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
    }).trim();

/**
 * A commit of the checkout's files as they are on disk, tracked or not, leaving out what
 * .gitignore leaves out: what a suite tests is then the code it runs beside, uncommitted changes
 * included. A temporary index keeps the checkout's own index, branch and stash untouched.
 */
export function snapshotCommit(checkout: string): string {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "flaskapp-snapshot-"));
    try {
        const env = { ...process.env, GIT_INDEX_FILE: path.join(scratch, "index") };
        git(checkout, ["read-tree", "HEAD"], env);
        git(checkout, ["add", "--all"], env);
        const tree = git(checkout, ["write-tree"], env);
        return git(checkout, [
            "-c",
            "user.name=flaskapp e2e",
            "-c",
            "user.email=e2e@flaskapp.invalid",
            "commit-tree",
            "--no-gpg-sign",
            tree,
            "-p",
            "HEAD",
            "-m",
            "The checkout's files as they were on disk",
        ]);
    } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
    }
}

/** The first header of a CGI response: its status and headers, and where its body starts. */
export function parseCgiHead(
    output: Buffer,
): { status: number; headers: [string, string][]; bodyStart: number } | undefined {
    // latin1 keeps one character per byte, so an index in the text is one in the buffer.
    const text = output.toString("latin1");
    const end = /\r?\n\r?\n/.exec(text);
    if (!end) return undefined;
    let status = 200;
    const headers: [string, string][] = [];
    for (const line of text.slice(0, end.index).split(/\r?\n/)) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === "status") status = parseInt(value, 10);
        else headers.push([name, value]);
    }
    return { status, headers, bodyStart: end.index + end[0].length };
}

/** A request handler that runs `git http-backend`, git's smart HTTP server, as a CGI program. */
function httpBackend(projectRoot: string) {
    return (req: http.IncomingMessage, res: http.ServerResponse) => {
        const url = new URL(req.url ?? "/", "https://127.0.0.1");
        const header = (name: string) => String(req.headers[name] ?? "");
        const backend = spawn("git", ["http-backend"], {
            env: {
                PATH: process.env.PATH ?? "",
                GIT_PROJECT_ROOT: projectRoot,
                GIT_HTTP_EXPORT_ALL: "1",
                REQUEST_METHOD: req.method ?? "GET",
                PATH_INFO: decodeURIComponent(url.pathname),
                QUERY_STRING: url.search.slice(1),
                CONTENT_TYPE: header("content-type"),
                ...(req.headers["content-length"] && {
                    CONTENT_LENGTH: header("content-length"),
                }),
                HTTP_CONTENT_ENCODING: header("content-encoding"),
                GIT_PROTOCOL: header("git-protocol"),
                REMOTE_ADDR: req.socket.remoteAddress ?? "",
            },
            stdio: ["pipe", "pipe", "pipe"],
        });
        let head: Buffer | undefined = Buffer.alloc(0);
        let errors = "";
        backend.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
        backend.stdout.on("data", (chunk: Buffer) => {
            if (head === undefined) {
                res.write(chunk);
                return;
            }
            head = Buffer.concat([head, chunk]);
            const parsed = parseCgiHead(head);
            if (!parsed) return;
            res.statusCode = parsed.status;
            for (const [name, value] of parsed.headers) res.setHeader(name, value);
            res.write(head.subarray(parsed.bodyStart));
            head = undefined;
        });
        backend.on("close", (code) => {
            if (head !== undefined && !res.headersSent) {
                res.statusCode = 500;
                res.end(`git http-backend exited with ${code}: ${errors}`);
            } else {
                res.end();
            }
        });
        // A client that hangs up leaves nothing to read what the backend writes.
        backend.stdin.on("error", () => undefined);
        res.on("close", () => backend.kill());
        req.pipe(backend.stdin);
    };
}

/**
 * Runs the HTTPS server in a process of its own: the suites run the CLI synchronously, which
 * would otherwise hold up the very server the CLI clones from. The server lives as long as its
 * standard input stays open, so it ends with the process that started it.
 */
async function startServerProcess(
    projectRoot: string,
    key: string,
    certificate: string,
    port: number,
): Promise<{ port: number; stop(): Promise<void> }> {
    const child = spawn(
        process.execPath,
        [
            "--require",
            require.resolve("ts-node/register/transpile-only"),
            __filename,
            projectRoot,
            key,
            certificate,
            String(port),
        ],
        { stdio: ["pipe", "pipe", "pipe"] },
    );
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const listening = await new Promise<number>((resolve, reject) => {
        let output = "";
        let errors = "";
        child.stdout.on("data", (chunk: Buffer) => {
            output += chunk.toString();
            if (output.includes("\n")) resolve(parseInt(output, 10));
        });
        child.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
        child.once("exit", () =>
            reject(
                new Error(
                    `cannot serve the git repository on 127.0.0.1:${port} (${errors.trim()}); ` +
                        "Pulumi.yaml cannot record a git source with a port, so it needs 443, " +
                        "free and permitted (root or CAP_NET_BIND_SERVICE)",
                ),
            ),
        );
    });
    return {
        port: listening,
        stop: async () => {
            child.stdin.end();
            await exited;
        },
    };
}

/** What the server's process runs: `<projectRoot> <key> <certificate> <port>`. */
function serve([projectRoot, key, certificate, port]: string[]): void {
    const server = https.createServer(
        { key: fs.readFileSync(key), cert: fs.readFileSync(certificate) },
        httpBackend(projectRoot),
    );
    server.once("error", (err) => {
        console.error(err.message);
        process.exit(1);
    });
    server.listen(parseInt(port, 10), "127.0.0.1", () =>
        console.log((server.address() as AddressInfo).port),
    );
    process.stdin.once("end", () => process.exit(0));
    process.stdin.resume();
}

if (require.main === module) serve(process.argv.slice(2));

/**
 * Serves a snapshot of `checkout` (see `snapshotCommit`) as the bare repository `repository`,
 * with the branch `main` and the tag `tag` at that commit, over HTTPS on 127.0.0.1.
 */
export async function serveCheckout({
    checkout,
    repository,
    tag,
    port = 443,
}: GitServerOptions): Promise<GitServer> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "flaskapp-git-"));
    try {
        const projectRoot = path.join(root, "repositories");
        const bare = path.join(projectRoot, repository);
        git(root, ["init", "--quiet", "--bare", "--initial-branch=main", bare]);
        const commit = snapshotCommit(checkout);
        git(checkout, [
            "push",
            "--quiet",
            "--no-verify",
            bare,
            `${commit}:refs/heads/main`,
            `${commit}:refs/tags/${tag}`,
        ]);

        const trustDir = path.join(root, "trust");
        fs.mkdirSync(trustDir);
        const certificate = path.join(trustDir, "server.pem");
        const key = path.join(root, "server.key");
        execFileSync(
            "openssl",
            [
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-keyout",
                key,
                "-out",
                certificate,
            ],
            { stdio: ["ignore", "pipe", "pipe"] },
        );

        const server = await startServerProcess(projectRoot, key, certificate, port);
        // Go reads SSL_CERT_DIR beside the system's bundle file; the system's directories
        // stay listed for the programs that read only directories.
        const systemDirs = process.env.SSL_CERT_DIR ?? "/etc/ssl/certs:/etc/pki/tls/certs";
        return {
            url: `https://127.0.0.1${server.port === 443 ? "" : `:${server.port}`}/${repository}`,
            env: { SSL_CERT_DIR: `${trustDir}:${systemDirs}` },
            certificate,
            commit,
            close: async () => {
                await server.stop();
                fs.rmSync(root, { recursive: true, force: true });
            },
        };
    } catch (err) {
        fs.rmSync(root, { recursive: true, force: true });
        throw err;
    }
}
