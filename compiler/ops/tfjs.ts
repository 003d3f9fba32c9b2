// The TensorFlow.js Layers mapping each forward op file implements (`OpDef.tfjs`): the Keras layer
// class and config a node becomes in a tfjs `model.json`. src/interop/tfjs writes and reads them.

/** A layer's JSON config values (`units`, `activation`, `alpha`, …), in tfjs's snake_case keys. */
export type TfjsConfigValue = string | number | boolean;

export interface TfjsLayer {
  /** `Dense`, `Activation`, `LeakyReLU`, `Add`. */
  readonly className: string;
  readonly config: Readonly<Record<string, TfjsConfigValue>>;
}

/** An `Activation` layer of tfjs's named activation (`relu`, `gelu_new`, `logSoftmax`, …). */
export function tfjsActivation(activation: string): TfjsLayer {
  return { className: 'Activation', config: { activation } };
}
