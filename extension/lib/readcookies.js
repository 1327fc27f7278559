// Reading the cookies the browser would send (the pure choice of stores and queries is in
// lib/cookies.js): for a download, a context-menu link and a media find alike.
import { cookieStoreFor, cookieQueries, selectCookies } from "./cookies.js";
import { isFirefoxUrl } from "./messages.js";

const api = globalThis.browser ?? globalThis.chrome;
const IS_FIREFOX = isFirefoxUrl(api.runtime.getURL(""));

/** Cookies the browser would send for `url` from the store the download or tab belongs to. */
export async function collectCookies(url, { incognito, cookieStoreId, topLevelUrl, partitionKey }) {
  const storeId = cookieStoreFor({ isFirefox: IS_FIREFOX, incognito, cookieStoreId });
  const queries = cookieQueries({ url, storeId, isFirefox: IS_FIREFOX, partitionKey });
  // The first query is the plain store: if it fails, paxel would get a 403 where the browser
  // succeeds, so the error goes up and the download stays with the browser. Partitioned queries
  // are extras that older browsers reject.
  const [plain, ...partitioned] = queries;
  const results = await Promise.all([
    api.cookies.getAll(plain),
    ...partitioned.map((q) => api.cookies.getAll(q).catch(() => [])),
  ]);
  return selectCookies(results, topLevelUrl);
}

export async function partitionKeyOf(tab, frameId) {
  if (IS_FIREFOX || !api.cookies.getPartitionKey || tab?.id === undefined) return undefined;
  try {
    const { partitionKey } = await api.cookies.getPartitionKey({ tabId: tab.id, frameId: frameId ?? 0 });
    return partitionKey;
  } catch {
    return undefined;
  }
}
