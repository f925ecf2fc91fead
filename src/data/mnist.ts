// The MNIST family's images (MNIST, Fashion-MNIST): 28 x 28 pixels, one grey channel, 10 classes.

export const IMAGE_SIDE = 28;
export const PIXELS = IMAGE_SIDE * IMAGE_SIDE;
export const MNIST_SHAPE = [IMAGE_SIDE, IMAGE_SIDE, 1] as const;
export const CLASSES = 10;
