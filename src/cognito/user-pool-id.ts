/** User pool ids are `<region>_<suffix>` (AWS pattern `[\w-]+_[0-9a-zA-Z]+`, 1–55 chars). */
export const USER_POOL_ID_PATTERN = /^(?=.{1,55}$)[\w-]+_[0-9a-zA-Z]+$/;

/**
 * The region is the pool id's prefix (`eu-west-1_AbC123` -> `eu-west-1`). Emulator pools
 * (`local_XXXX`) yield `local`, which is also what the emulator expects in the signature scope.
 */
export function regionOfUserPool(userPoolId: string): string {
  const cut = userPoolId.lastIndexOf("_");
  return cut > 0 ? userPoolId.slice(0, cut) : userPoolId;
}
