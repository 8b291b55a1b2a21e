/**
 * Imported first by the synth bundle: sets `$app`, `$dev` and `$cli` before SST's platform modules evaluate,
 * as the SST CLI does before it loads `sst.config.ts`.
 */
import { readRequest, setCliGlobals } from "./synthProgram.js";

setCliGlobals(readRequest());
