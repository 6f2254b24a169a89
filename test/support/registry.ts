// The test bed's registry, as the end-to-end suites check it: the digest it holds for a tag, and
// the forms its password takes, which no state or log may contain.
import { TestBed } from "../../tools/testbed/testBed";

/** The digest the registry holds for `repository:tag`, read through its API with credentials. */
export async function registryDigest(
    bed: TestBed,
    repository: string,
    tag: string,
): Promise<string | undefined> {
    const response = await fetch(`http://${bed.registry}/v2/${repository}/manifests/${tag}`, {
        method: "HEAD",
        headers: {
            Authorization:
                "Basic " + Buffer.from(`${bed.username}:${bed.password}`).toString("base64"),
            Accept: [
                "application/vnd.oci.image.index.v1+json",
                "application/vnd.oci.image.manifest.v1+json",
                "application/vnd.docker.distribution.manifest.list.v2+json",
                "application/vnd.docker.distribution.manifest.v2+json",
            ].join(", "),
        },
    });
    if (response.status === 404) return undefined;
    if (!response.ok)
        throw new Error(`registry answered ${response.status} for ${repository}:${tag}`);
    return response.headers.get("docker-content-digest") ?? undefined;
}

/** The forms a registry password takes on its way: as is, in base64, and in a Docker `auth`. */
export function secretForms(username: string, password: string): string[] {
    const base64 = (text: string) => Buffer.from(text).toString("base64");
    return [password, base64(password), base64(`${username}:${password}`)];
}
