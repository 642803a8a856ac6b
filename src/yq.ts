// A light entry of the library (`tslima/yq`): the yq/jq expression language of `limactl yq`, without
// evaluating the rest of the library: what `tslima yq` loads (the `yaml` package and src/lang/yq*.ts).
export { parseYq, evalYq, yqRun, YqError, YqInputError, type YqProgram, type YqParseOptions, type YqRunOptions, type YqRunResult } from "./lang/yq.js";
