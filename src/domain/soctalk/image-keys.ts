/**
 * Which values keys carry the image tags in each SocTalk chart (read from the charts:
 * soctalk-system renders every component from `image.tag`; soctalk-tenant has one
 * repository/tag pair per workload). The override map is plain key -> value, whatever
 * transport helm gets it by.
 */
export const IMAGE_TAG_KEY_PRESETS: Readonly<Record<string, readonly string[]>> = {
  'soctalk-system': ['image.tag'],
  'soctalk-tenant': ['adapter.image.tag', 'runsWorker.image.tag'],
};

/** The chart's name from its reference: "oci://ghcr.io/soctalk/charts/soctalk-tenant", "repo/soctalk-tenant", "/x/soctalk-tenant-0.2.1.tgz". */
export function chartNameOf(ref: string): string {
  const last = ref.replace(/\/+$/, '').split('/').at(-1) ?? ref;
  return last.endsWith('.tgz') ? last.replace(/-\d+\.\d+\.\d+[^/]*\.tgz$/, '').replace(/\.tgz$/, '') : last;
}

/** The keys to override: the ones the input names, else the chart's preset, else `image.tag`. */
export function imageTagKeysFor(chartRef: string, explicit: readonly string[] | undefined, fallbackChart: string): string[] {
  if (explicit && explicit.length > 0) return [...explicit];
  return [...(IMAGE_TAG_KEY_PRESETS[chartNameOf(chartRef)] ?? IMAGE_TAG_KEY_PRESETS[fallbackChart] ?? ['image.tag'])];
}

export const tagOverrides = (keys: readonly string[], tag: string): Record<string, string> => Object.fromEntries(keys.map((k) => [k, tag]));
