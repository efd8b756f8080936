//! The tray's three icons (idle, busy, attention), decoded once from the PNGs in `icons/`.

use ferry_owner::summary::TrayState;

const IDLE_ICON: &[u8] = include_bytes!("../../../icons/tray.png");
const BUSY_ICON: &[u8] = include_bytes!("../../../icons/tray-busy.png");
const ATTENTION_ICON: &[u8] = include_bytes!("../../../icons/tray-attention.png");

/// One icon as 8-bit RGBA pixels, row by row.
#[derive(Clone, Debug)]
pub struct Pixels {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width × height` pixels of 4 bytes: red, green, blue, alpha.
    pub rgba: Vec<u8>,
}

impl Pixels {
    /// The same pixels as ARGB32 in network byte order (alpha, red, green, blue), the form a
    /// StatusNotifierItem sends.
    pub fn argb(&self) -> Vec<u8> {
        self.rgba
            .chunks_exact(4)
            .flat_map(|p| [p[3], p[0], p[1], p[2]])
            .collect()
    }
}

/// The icon for each state of the queue.
#[derive(Clone, Debug)]
pub struct TrayIcons {
    idle: Pixels,
    busy: Pixels,
    attention: Pixels,
}

impl TrayIcons {
    /// Decodes the three icons.
    pub fn load() -> Result<TrayIcons, String> {
        Ok(TrayIcons {
            idle: decode(IDLE_ICON)?,
            busy: decode(BUSY_ICON)?,
            attention: decode(ATTENTION_ICON)?,
        })
    }

    /// The icon that shows `state`.
    pub fn for_state(&self, state: TrayState) -> &Pixels {
        match state {
            TrayState::Idle => &self.idle,
            TrayState::Busy => &self.busy,
            TrayState::Attention => &self.attention,
        }
    }
}

/// Decodes a PNG into 8-bit RGBA.
fn decode(png_bytes: &[u8]) -> Result<Pixels, String> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let size = reader.output_buffer_size().ok_or("the icon is too large")?;
    let mut rgba = vec![0; size];
    let frame = reader.next_frame(&mut rgba).map_err(|e| e.to_string())?;
    if frame.color_type != png::ColorType::Rgba || frame.bit_depth != png::BitDepth::Eight {
        return Err(format!(
            "the icon is {:?} at {:?} bits, not 8-bit RGBA",
            frame.color_type, frame.bit_depth
        ));
    }
    rgba.truncate(frame.buffer_size());
    Ok(Pixels {
        width: frame.width,
        height: frame.height,
        rgba,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_icons_decode_to_rgba_of_their_size() {
        let icons = TrayIcons::load().expect("the icons decode");
        for state in [TrayState::Idle, TrayState::Busy, TrayState::Attention] {
            let pixels = icons.for_state(state);
            assert_eq!(
                pixels.rgba.len(),
                (pixels.width * pixels.height * 4) as usize
            );
        }
        assert!(decode(b"not a png").is_err());
    }

    #[test]
    fn argb_moves_alpha_to_the_front() {
        let pixels = Pixels {
            width: 2,
            height: 1,
            rgba: vec![1, 2, 3, 4, 5, 6, 7, 8],
        };
        assert_eq!(pixels.argb(), vec![4, 1, 2, 3, 8, 5, 6, 7]);
    }
}
