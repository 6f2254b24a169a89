// What both targets share: the user the app runs as, its labels and the environment the
// component sets.
import { FlaskAppSettings } from "./settings";

/** UID and GID the app runs as, in both targets; the bundled Dockerfile creates this user. */
export const appUid = 10001;

/** Standard `app.kubernetes.io/*` labels; Docker containers carry them too. */
export function standardLabels(settings: FlaskAppSettings): Record<string, string> {
    return {
        ...selectorLabels(settings),
        "app.kubernetes.io/component": "web",
        "app.kubernetes.io/managed-by": "pulumi",
    };
}

/** The labels that select the app's pods: derived from names only, so they never change. */
export function selectorLabels(settings: FlaskAppSettings): Record<string, string> {
    return {
        "app.kubernetes.io/name": settings.appName,
        "app.kubernetes.io/instance": settings.name,
    };
}

/**
 * Seconds a Kubernetes pod keeps serving after it is marked for deletion, before SIGTERM: the
 * endpoints controller and every kube-proxy need that long to stop sending it new connections.
 */
export const preStopSleepSeconds = 5;

/** Seconds allowed, past the drain of in-flight requests, for the server's processes to exit. */
export const shutdownMarginSeconds = 5;

/**
 * Seconds from SIGTERM until the runtime may kill the app: the server drains in-flight requests
 * for at most `requestTimeoutSeconds` (WEB_GRACEFUL_TIMEOUT defaults to WEB_TIMEOUT), then exits.
 */
export function stopTimeoutSeconds(settings: FlaskAppSettings): number {
    return settings.requestTimeoutSeconds + shutdownMarginSeconds;
}

/** Environment the component sets itself: the app server's settings (app/server.py). */
export function runtimeEnv(settings: FlaskAppSettings): Record<string, string> {
    return {
        PORT: String(settings.containerPort),
        WEB_CONCURRENCY: String(settings.workers),
        WEB_TIMEOUT: String(settings.requestTimeoutSeconds),
    };
}
