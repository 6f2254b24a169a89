// Pulumi mocks shared by the unit tests. Import this module before the code under test: it
// installs the mocks and records every resource the program registers.
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";

export interface Registered {
    type: string;
    name: string;
    inputs: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    provider?: string;
}

/** Every resource registered since the last `reset()`, components included. */
export const registered: Registered[] = [];

export function reset(): void {
    registered.length = 0;
}

/** The resources a provider would create: components left out. */
export function children(): Registered[] {
    return registered.filter((r) => !r.type.startsWith("flaskapp:"));
}

export function byType(type: string): Registered[] {
    return registered.filter((r) => r.type === type);
}

export function one(type: string): Registered {
    const found = byType(type);
    if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
    return found[0];
}

/** The digest the mocked docker provider reports for an image built with `inputs`. */
export function fakeDigest(inputs: unknown): string {
    return "sha256:" + crypto.createHash("sha256").update(JSON.stringify(inputs)).digest("hex");
}

/** True when a recorded input value was passed to the engine as a secret. */
export function isSecretInput(value: unknown): boolean {
    return (
        typeof value === "object" &&
        value !== null &&
        (value as Record<string, unknown>)[specialSigKey] === specialSecretSig
    );
}

/** A recorded input value with its secret wrapper, if any, taken off. */
export function reveal<T>(value: T | { value: T }): T {
    return isSecretInput(value) ? (value as { value: T }).value : (value as T);
}

export { promiseOf } from "../tools/testbed/promiseOf";

pulumi.runtime.setMocks(
    {
        newResource(args: pulumi.runtime.MockResourceArgs) {
            registered.push({
                type: args.type,
                name: args.name,
                inputs: args.inputs,
                provider: args.provider,
            });
            const state = { ...args.inputs };
            switch (args.type) {
                case "docker:index/image:Image": {
                    const repository = String(args.inputs.imageName).replace(/:[^/:]+$/, "");
                    state.repoDigest = `${repository}@${fakeDigest(args.inputs.build)}`;
                    break;
                }
                case "docker:index/container:Container":
                    state.name = args.inputs.name ?? `${args.name}-0a1b2c3`;
                    break;
                default:
                    if (args.type.startsWith("kubernetes:") && args.inputs.metadata) {
                        state.metadata = {
                            ...args.inputs.metadata,
                            name: args.inputs.metadata.name ?? `${args.name}-0a1b2c3d`,
                        };
                    }
            }
            return { id: `${args.name}-id`, state };
        },
        call(args: pulumi.runtime.MockCallArgs) {
            return args.inputs;
        },
    },
    "flask-app",
    "test",
);
