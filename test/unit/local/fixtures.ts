// Cluster objects for the local edge's tests: a Service selecting a track of app "demo", and the
// Deployment of that track, in namespace "demo".

export const svc = (name: string, track: string) => ({
    metadata: { name, namespace: "demo" },
    spec: { selector: { app: "demo", track } },
});

export const dep = (track: string, image: string, ready: number) => ({
    metadata: { name: `demo-${track}`, namespace: "demo" },
    spec: {
        template: {
            metadata: { labels: { app: "demo", track } },
            spec: { containers: [{ image }] },
        },
    },
    status: { readyReplicas: ready },
});
