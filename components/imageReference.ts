// Image references as Docker's distribution/reference grammar defines them.

const component = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domain = `${domainComponent}(?:\\.${domainComponent})*(?::[0-9]+)?`;
const pathPattern = new RegExp(`^${component}(?:/${component})*$`);
const domainPattern = new RegExp(`^${domain}$`);

export interface RepositoryParts {
    /** Registry host (and port), when the reference names one. */
    readonly host?: string;
    /** Repository path within the registry. */
    readonly path: string;
}

/** A registry host as image references name one: a host name or address, and an optional port. */
export function isRegistryHost(value: string): boolean {
    return domainPattern.test(value);
}

/**
 * Splits a repository such as `localhost:5000/team/app` into registry host and path, or returns
 * `undefined` when it is not a valid repository (a tag, digest or uppercase letter included).
 */
export function splitRepository(repository: string): RepositoryParts | undefined {
    if (repository.length === 0 || repository.length > 255) return undefined;
    const slash = repository.indexOf("/");
    const first = slash === -1 ? "" : repository.slice(0, slash);
    // Docker's rule: the first component is a registry host only if it looks like one.
    const hasHost =
        slash !== -1 && (first.includes(".") || first.includes(":") || first === "localhost");
    const host = hasHost ? first : undefined;
    const path = hasHost ? repository.slice(slash + 1) : repository;
    if (host !== undefined && !isRegistryHost(host)) return undefined;
    if (!pathPattern.test(path)) return undefined;
    return { host, path };
}
