/** The fault proxy lives in the engine (the pattern race's `--fault cut@ms` uses it); tests use the same one. */
export { FaultProxy, type ProxyMode } from '../../src/core/faultProxy';
