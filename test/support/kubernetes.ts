// The test bed's cluster through `kubectl`, as the end-to-end suites read it back.
import { execFileSync } from "child_process";

import { TestBed } from "../../tools/testbed/testBed";

/** `kubectl` against the test bed cluster, trimmed; `input` goes to its stdin. */
export function kubectl(bed: TestBed, args: string[], input?: string): string {
    return execFileSync("kubectl", ["--kubeconfig", bed.kubeconfig, ...args], {
        encoding: "utf8",
        input,
        stdio: ["pipe", "pipe", "pipe"],
    }).trim();
}

/** `kubectl get ... -o json`, parsed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function kubectlJson(bed: TestBed, ...args: string[]): any {
    return JSON.parse(kubectl(bed, ["get", ...args, "-o", "json"]));
}
