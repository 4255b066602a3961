// Commands beyond the vendor key tools register themselves by being imported here.
export {};
