/**
 * A deep copy that cannot be changed: the embedded stores keep and hand out these, so a caller can
 * neither alter stored state through a returned item nor pay a copy on every read.
 */
export function frozenCopy<T>(value: T): T {
  return deepFreeze(structuredClone(value));
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
