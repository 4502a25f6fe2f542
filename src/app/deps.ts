/** What the app factory needs from its runtime: the services' ports plus what only the HTTP app uses. */
import type { ServiceDeps } from '../services/ports.js';

export type { AnchorSettings, AppConfig, Clock, KeyStore, QrEncoder, ServiceDeps } from '../services/ports.js';
export { defaultConfig, systemClock } from '../services/ports.js';

/** Files of a build folder (dist/verifier/, dist/holder/, dist/api-docs/), for runtimes that serve them themselves. */
export interface AssetSource {
  /** The file at a path relative to the build folder, or undefined when there is none. */
  read(relativePath: string): Promise<Uint8Array | undefined>;
}

export interface AppDeps extends ServiceDeps {
  /** The verifier web app's files (Node); without it `/verify` answers 404 (deploy the app as static files). */
  verifierAssets?: AssetSource;
  /** The holder app's files (dist/holder/, Node); without it `/holder/` answers 404 (the Worker serves them as static files). */
  holderAssets?: AssetSource;
  /** The /docs page's files (dist/api-docs/, Node); without it `/docs/assets/` answers 404 (the Worker serves them as static files). */
  apiDocsAssets?: AssetSource;
}
