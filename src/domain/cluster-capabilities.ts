/**
 * What `helm template` must be told to render as the live cluster would: without these
 * flags helm assumes Kubernetes v1.20.0 and only the built-in API versions, so a chart's
 * `kubeVersion` constraint fails and `.Capabilities.APIVersions.Has` branches go the wrong
 * way. `helm upgrade` reads them from the cluster itself and needs neither.
 */
export interface ClusterCapabilities {
  /** The API server's version as it reports it ("v1.33.1"). */
  kubeVersion: string;
  /** Served group/versions ("apps/v1", "v1") and group/version/Kinds ("apps/v1/Deployment"), sorted. */
  apiVersions: string[];
}
