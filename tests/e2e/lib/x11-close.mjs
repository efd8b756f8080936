// Closing a window the way a window manager's close button does: a WM_DELETE_WINDOW client
// message (ICCCM). Xvfb runs no window manager, so this speaks the X11 protocol itself over the
// display's local socket; the app sees exactly what a click on its title bar's × would send.

import { connect } from "node:net";

/** Asks the client owning `windowId` (e.g. "0x1e00007") to close that window. */
export async function requestClose(windowId) {
  const display = /^:(\d+)/.exec(process.env.DISPLAY ?? "")?.[1];
  if (display === undefined) {
    throw new Error(`DISPLAY is not a local display: ${process.env.DISPLAY}`);
  }
  const socket = connect(`/tmp/.X11-unix/X${display}`);
  const replies = replyReader(socket);
  try {
    await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    socket.write(setupRequest());
    const setup = await replies.read(8);
    if (setup[0] !== 1) throw new Error("the X server refused the connection");
    await replies.read(setup.readUInt16LE(6) * 4);
    const protocols = await internAtom(socket, replies, "WM_PROTOCOLS");
    const deleteWindow = await internAtom(socket, replies, "WM_DELETE_WINDOW");
    socket.write(sendClientMessage(Number(windowId), protocols, deleteWindow));
    // A round trip proves the server has processed the SendEvent before we hang up.
    await internAtom(socket, replies, "WM_PROTOCOLS");
  } finally {
    socket.destroy();
  }
}

function setupRequest() {
  const request = Buffer.alloc(12);
  request.write("l", 0); // little-endian
  request.writeUInt16LE(11, 2); // protocol 11.0, no authorisation (Xvfb's local socket)
  return request;
}

async function internAtom(socket, replies, name) {
  const padded = Math.ceil(name.length / 4) * 4;
  const request = Buffer.alloc(8 + padded);
  request.writeUInt8(16, 0); // InternAtom
  request.writeUInt8(0, 1); // create if missing
  request.writeUInt16LE(2 + padded / 4, 2);
  request.writeUInt16LE(name.length, 4);
  request.write(name, 8, "latin1");
  socket.write(request);
  const reply = await replies.read(32);
  if (reply[0] !== 1) throw new Error(`InternAtom ${name} failed with X error ${reply[1]}`);
  return reply.readUInt32LE(8);
}

function sendClientMessage(window, type, atom) {
  const request = Buffer.alloc(44);
  request.writeUInt8(25, 0); // SendEvent
  request.writeUInt8(0, 1); // no propagation
  request.writeUInt16LE(11, 2);
  request.writeUInt32LE(window, 4);
  request.writeUInt32LE(0, 8); // no event mask: deliver to the window's owner
  const event = request.subarray(12);
  event.writeUInt8(33, 0); // ClientMessage
  event.writeUInt8(32, 1); // format: 32-bit data
  event.writeUInt32LE(window, 4);
  event.writeUInt32LE(type, 8);
  event.writeUInt32LE(atom, 12);
  event.writeUInt32LE(0, 16); // CurrentTime
  return request;
}

/** Reads exact byte counts from a socket, in order. */
function replyReader(socket) {
  let buffered = Buffer.alloc(0);
  let waiting = null;
  const settle = () => {
    if (waiting && buffered.length >= waiting.size) {
      const { size, resolve } = waiting;
      waiting = null;
      const chunk = buffered.subarray(0, size);
      buffered = buffered.subarray(size);
      resolve(chunk);
    }
  };
  socket.on("data", (data) => {
    buffered = Buffer.concat([buffered, data]);
    settle();
  });
  socket.on("close", () => waiting?.reject(new Error("the X server closed the connection")));
  return {
    read(size) {
      return new Promise((resolve, reject) => {
        waiting = { size, resolve, reject };
        settle();
      });
    },
  };
}
