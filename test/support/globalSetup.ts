// Replaced by the emulator start-up once local/emulators lands.
export default async function setup(): Promise<void> {}
