import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execFileSync } from "child_process";

import { GitServer, parseCgiHead, serveCheckout } from "../tools/testbed/gitServer";

const root = path.resolve(__dirname, "..");
const git = (cwd: string, ...args: string[]) =>
    execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

describe("a CGI response's head, as `git http-backend` writes it", () => {
    for (const [what, output, status, headers, body] of [
        [
            "a status and headers, CRLF",
            "Status: 404 Not Found\r\nExpires: Fri, 01 Jan 1980 00:00:00 GMT\r\n\r\nnot here",
            404,
            [["Expires", "Fri, 01 Jan 1980 00:00:00 GMT"]],
            "not here",
        ],
        [
            "no status line, LF",
            "Content-Type: application/x-git-upload-pack-advertisement\n\n001e# service",
            200,
            [["Content-Type", "application/x-git-upload-pack-advertisement"]],
            "001e# service",
        ],
    ] as const) {
        it(`reads ${what}`, () => {
            const buffer = Buffer.from(output, "latin1");
            const head = parseCgiHead(buffer)!;
            assert.strictEqual(head.status, status);
            assert.deepStrictEqual(head.headers, headers);
            assert.strictEqual(buffer.subarray(head.bodyStart).toString("latin1"), body);
        });
    }

    it("waits for the blank line that ends it", () => {
        assert.strictEqual(parseCgiHead(Buffer.from("Status: 200 OK\r\nContent-Ty")), undefined);
    });
});

// The server the component package's suite adds the package from, on a free port rather than
// 443, read with git's own client over smart HTTP.
describe("this checkout served as a git repository over HTTPS", function () {
    this.timeout(60000);
    let server: GitServer;
    let cloneDir: string;
    let checkoutBefore: string[];
    const checkoutState = () => [
        git(root, "rev-parse", "HEAD"),
        git(root, "status", "--porcelain"),
        git(root, "stash", "list"),
    ];
    // GIT_SSL_CAINFO rather than `-c http.sslCAInfo`, which that variable overrides where set.
    const gitTrusting = (cwd: string, ...args: string[]) =>
        execFileSync("git", args, {
            cwd,
            env: { ...process.env, GIT_SSL_CAINFO: server.certificate },
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
        });

    before(async () => {
        checkoutBefore = checkoutState();
        server = await serveCheckout({
            checkout: root,
            repository: "acme/flask-app.git",
            tag: "v0.1.0",
            port: 0,
        });
        cloneDir = fs.mkdtempSync(path.join(os.tmpdir(), "flaskapp-clone-"));
    });

    after(async () => {
        await server?.close();
        if (cloneDir) fs.rmSync(cloneDir, { recursive: true, force: true });
    });

    it("offers the branch main and the tag at the snapshot's commit, and only those", () => {
        const refs = gitTrusting(root, "ls-remote", server.url).trim().split("\n");
        assert.deepStrictEqual(refs, [
            `${server.commit}\tHEAD`,
            `${server.commit}\trefs/heads/main`,
            `${server.commit}\trefs/tags/v0.1.0`,
        ]);
    });

    it("clones the tag shallowly, as Pulumi does, with the checkout's files as they are on disk", () => {
        gitTrusting(cloneDir, "clone", "--quiet", "--depth=1", "--branch=v0.1.0", server.url, ".");
        const onDisk = git(root, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
            .split("\0")
            .filter((file) => file && fs.existsSync(path.join(root, file)));
        const cloned = git(cloneDir, "ls-files", "-z").split("\0").filter(Boolean);
        assert.deepStrictEqual([...new Set(cloned)].sort(), [...new Set(onDisk)].sort());
        assert.strictEqual(
            fs.readFileSync(path.join(cloneDir, "provider", "package.json"), "utf8"),
            fs.readFileSync(path.join(root, "provider", "package.json"), "utf8"),
        );
    });

    it("leaves the checkout's HEAD, index and stash as they were", () => {
        assert.deepStrictEqual(checkoutState(), checkoutBefore);
    });
});
